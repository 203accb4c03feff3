#define _GNU_SOURCE
#include "csocket_shim.h"
#include <sys/socket.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <malloc.h>

struct csock_batch {
    unsigned count;
    size_t buffer_size;
    uint8_t *in;
    uint8_t *out;
    struct sockaddr_storage *peers;
    struct iovec *in_iov;
    struct iovec *out_iov;
    struct mmsghdr *in_msgs;
    struct mmsghdr *out_msgs;
};

csock_batch *csock_batch_new(unsigned count, size_t buffer_size) {
    csock_batch *batch = calloc(1, sizeof *batch);
    if (!batch) return NULL;
    batch->count = count;
    batch->buffer_size = buffer_size;
    batch->in = malloc(count * buffer_size);
    batch->out = malloc(count * buffer_size);
    batch->peers = calloc(count, sizeof *batch->peers);
    batch->in_iov = calloc(count, sizeof *batch->in_iov);
    batch->out_iov = calloc(count, sizeof *batch->out_iov);
    batch->in_msgs = calloc(count, sizeof *batch->in_msgs);
    batch->out_msgs = calloc(count, sizeof *batch->out_msgs);
    if (!batch->in || !batch->out || !batch->peers || !batch->in_iov || !batch->out_iov || !batch->in_msgs ||
        !batch->out_msgs) {
        csock_batch_free(batch);
        return NULL;
    }
    return batch;
}

void csock_batch_free(csock_batch *batch) {
    if (!batch) return;
    free(batch->in);
    free(batch->out);
    free(batch->peers);
    free(batch->in_iov);
    free(batch->out_iov);
    free(batch->in_msgs);
    free(batch->out_msgs);
    free(batch);
}

int csock_batch_receive(csock_batch *batch, int fd) {
    for (unsigned i = 0; i < batch->count; i++) {
        batch->in_iov[i].iov_base = batch->in + i * batch->buffer_size;
        batch->in_iov[i].iov_len = batch->buffer_size;
        memset(&batch->in_msgs[i].msg_hdr, 0, sizeof batch->in_msgs[i].msg_hdr);
        batch->in_msgs[i].msg_hdr.msg_iov = &batch->in_iov[i];
        batch->in_msgs[i].msg_hdr.msg_iovlen = 1;
        batch->in_msgs[i].msg_hdr.msg_name = &batch->peers[i];
        batch->in_msgs[i].msg_hdr.msg_namelen = sizeof batch->peers[i];
    }
    return recvmmsg(fd, batch->in_msgs, batch->count, MSG_WAITFORONE, NULL);
}

const uint8_t *csock_batch_packet(const csock_batch *batch, unsigned index, size_t *length) {
    *length = batch->in_msgs[index].msg_len;
    return batch->in + index * batch->buffer_size;
}

const void *csock_batch_peer(const csock_batch *batch, unsigned index) {
    return &batch->peers[index];
}

uint8_t *csock_batch_reply(csock_batch *batch, unsigned slot, unsigned index, size_t *capacity) {
    uint8_t *buffer = batch->out + slot * batch->buffer_size;
    batch->out_iov[slot].iov_base = buffer;
    batch->out_iov[slot].iov_len = 0;
    memset(&batch->out_msgs[slot].msg_hdr, 0, sizeof batch->out_msgs[slot].msg_hdr);
    batch->out_msgs[slot].msg_hdr.msg_iov = &batch->out_iov[slot];
    batch->out_msgs[slot].msg_hdr.msg_iovlen = 1;
    batch->out_msgs[slot].msg_hdr.msg_name = &batch->peers[index];
    batch->out_msgs[slot].msg_hdr.msg_namelen = batch->in_msgs[index].msg_hdr.msg_namelen;
    *capacity = batch->buffer_size;
    return buffer;
}

void csock_batch_set_reply_length(csock_batch *batch, unsigned slot, size_t length) {
    batch->out_iov[slot].iov_len = length;
}

int csock_batch_send(csock_batch *batch, int fd, unsigned count) {
    unsigned sent = 0;
    while (sent < count) {
        int result = sendmmsg(fd, batch->out_msgs + sent, count - sent, 0);
        if (result < 0) {
            if (errno == EINTR) continue;
            // A reply that cannot go out (a vanished peer) is dropped, as a lost UDP packet would be.
            sent++;
            continue;
        }
        sent += (unsigned)result;
    }
    return (int)sent;
}

int csock_enable_reuseport(int fd) {
    int on = 1;
    return setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
}

#include <sched.h>

int csock_allowed_cpu_count(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
    return CPU_COUNT(&set);
}

void csock_return_freed_memory(void) {
    (void)malloc_trim(0);
}

int csock_peer_uid(int fd, uint32_t *uid) {
    struct ucred credentials;
    socklen_t length = sizeof credentials;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) return -1;
    *uid = (uint32_t)credentials.uid;
    return 0;
}
