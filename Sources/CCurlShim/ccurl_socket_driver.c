// The multi_socket side of libcurl, driven from one epoll set: curl tells which sockets it waits on and when its
// next timeout is; this waits for exactly those and hands each event to curl_multi_socket_action, so a turn of the
// probe loop costs in proportion to what happened, not to the number of transfers in flight (curl_multi_perform
// and curl_multi_poll walk every transfer on every call).
// Kept in C: the callbacks are set through variadic curl_multi_setopt, and struct epoll_event is packed.
#include "ccurl_shim.h"
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

struct ccurl_socket_driver {
    CURLM *multi;
    int epoll_fd;
    int wake_fd;
    // Monotonic milliseconds at which curl wants CURL_SOCKET_TIMEOUT; -1 for none.
    int64_t deadline_ms;
};

static int64_t now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static int on_socket(CURL *easy, curl_socket_t socket, int what, void *context, void *socket_context) {
    (void)easy;
    (void)socket_context;
    ccurl_socket_driver *driver = context;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(driver->epoll_fd, EPOLL_CTL_DEL, socket, NULL);
        return 0;
    }
    struct epoll_event event = {0};
    event.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0);
    event.data.fd = socket;
    // A descriptor number can come back for a new socket after the old one closed: modify or add, whichever fits.
    if (epoll_ctl(driver->epoll_fd, EPOLL_CTL_MOD, socket, &event) != 0 && errno == ENOENT) {
        epoll_ctl(driver->epoll_fd, EPOLL_CTL_ADD, socket, &event);
    }
    return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *context) {
    (void)multi;
    ccurl_socket_driver *driver = context;
    driver->deadline_ms = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
    return 0;
}

ccurl_socket_driver *ccurl_socket_driver_new(CURLM *multi, CURLMcode *curl_error) {
    *curl_error = CURLM_OK;
    ccurl_socket_driver *driver = calloc(1, sizeof *driver);
    if (!driver) return NULL;
    driver->multi = multi;
    driver->deadline_ms = -1;
    driver->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    driver->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct epoll_event event = {0};
    event.events = EPOLLIN;
    event.data.fd = driver->wake_fd;
    if (driver->epoll_fd < 0 || driver->wake_fd < 0 ||
        epoll_ctl(driver->epoll_fd, EPOLL_CTL_ADD, driver->wake_fd, &event) != 0) {
        // Kept across the cleanup, which calls close and curl: the caller reports this errno.
        int saved = errno;
        ccurl_socket_driver_free(driver);
        errno = saved;
        return NULL;
    }
    CURLMcode code = curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    if (code == CURLM_OK) code = curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, driver);
    if (code == CURLM_OK) code = curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, on_timer);
    if (code == CURLM_OK) code = curl_multi_setopt(multi, CURLMOPT_TIMERDATA, driver);
    if (code != CURLM_OK) {
        *curl_error = code;
        ccurl_socket_driver_free(driver);
        return NULL;
    }
    return driver;
}

void ccurl_socket_driver_free(ccurl_socket_driver *driver) {
    if (!driver) return;
    if (driver->multi) {
        // Nothing to do if curl refuses: clearing a callback fails only for a bad handle or inside a callback.
        (void)curl_multi_setopt(driver->multi, CURLMOPT_SOCKETFUNCTION, NULL);
        (void)curl_multi_setopt(driver->multi, CURLMOPT_TIMERFUNCTION, NULL);
    }
    if (driver->epoll_fd >= 0) close(driver->epoll_fd);
    if (driver->wake_fd >= 0) close(driver->wake_fd);
    free(driver);
}

int ccurl_socket_driver_run(ccurl_socket_driver *driver, int max_wait_ms, CURLMcode *curl_error) {
    *curl_error = CURLM_OK;
    int wait_ms = max_wait_ms;
    if (driver->deadline_ms >= 0) {
        int64_t left = driver->deadline_ms - now_ms();
        if (left < 0) left = 0;
        if (left < wait_ms) wait_ms = (int)left;
    }
    struct epoll_event events[64];
    int count = epoll_wait(driver->epoll_fd, events, 64, wait_ms);
    if (count < 0 && errno != EINTR) return -1;
    int running = 0;
    CURLMcode code;
    for (int i = 0; i < count; i++) {
        int fd = events[i].data.fd;
        if (fd == driver->wake_fd) {
            uint64_t value;
            while (read(driver->wake_fd, &value, sizeof value) > 0) {}
            continue;
        }
        int mask = 0;
        if (events[i].events & EPOLLIN) mask |= CURL_CSELECT_IN;
        if (events[i].events & EPOLLOUT) mask |= CURL_CSELECT_OUT;
        if (events[i].events & (EPOLLERR | EPOLLHUP)) mask |= CURL_CSELECT_ERR;
        // The other events still go to curl: one failing socket must not stall the transfers on the rest.
        code = curl_multi_socket_action(driver->multi, fd, mask, &running);
        if (code != CURLM_OK && *curl_error == CURLM_OK) *curl_error = code;
    }
    if (driver->deadline_ms >= 0 && now_ms() >= driver->deadline_ms) {
        // Cleared first: curl sets the next deadline from inside the call.
        driver->deadline_ms = -1;
        code = curl_multi_socket_action(driver->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        if (code != CURLM_OK && *curl_error == CURLM_OK) *curl_error = code;
    }
    return count < 0 ? 0 : count;
}

void ccurl_socket_driver_wake(ccurl_socket_driver *driver) {
    uint64_t one = 1;
    ssize_t written = write(driver->wake_fd, &one, sizeof one);
    (void)written;
}
