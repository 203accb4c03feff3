#ifndef CSOCKET_SHIM_H
#define CSOCKET_SHIM_H
// recvmmsg/sendmmsg and struct mmsghdr are not visible to Swift through Glibc: a batch of datagrams with its own
// buffers, peers and lengths, behind a small opaque API.
// No system socket header here: this module must not take ownership of <sys/socket.h> away from Glibc.
#include <stddef.h>
#include <stdint.h>

typedef struct csock_batch csock_batch;

csock_batch *csock_batch_new(unsigned count, size_t buffer_size);
void csock_batch_free(csock_batch *batch);

/// Blocks for the first datagram (up to the socket's receive timeout), then takes whatever else is queued, up to the
/// batch size. Returns the number received, or -1 with errno set.
int csock_batch_receive(csock_batch *batch, int fd);
const uint8_t *csock_batch_packet(const csock_batch *batch, unsigned index, size_t *length);
/// A `struct sockaddr_storage`.
const void *csock_batch_peer(const csock_batch *batch, unsigned index);

/// The reply buffer of slot `slot`, addressed to the peer of received datagram `index`; set its length with
/// csock_batch_set_reply_length.
uint8_t *csock_batch_reply(csock_batch *batch, unsigned slot, unsigned index, size_t *capacity);
void csock_batch_set_reply_length(csock_batch *batch, unsigned slot, size_t length);
/// Sends replies 0..<count; returns how many were sent.
int csock_batch_send(csock_batch *batch, int fd, unsigned count);

int csock_enable_reuseport(int fd);

/// CPUs in this process's affinity mask (sched_getaffinity needs _GNU_SOURCE, which Glibc's Swift module lacks);
/// -1 on error.
int csock_allowed_cpu_count(void);

/// malloc_trim(0): returns memory the allocator keeps free in any arena to the system (not visible through
/// Swift's Glibc module).
void csock_return_freed_memory(void);

/// The user id of the process at the other end of a connected Unix socket (SO_PEERCRED's struct ucred needs
/// _GNU_SOURCE); 0 on success, -1 with errno set.
int csock_peer_uid(int fd, uint32_t *uid);
#endif
