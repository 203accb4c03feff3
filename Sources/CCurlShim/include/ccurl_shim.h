#ifndef CCURL_SHIM_H
#define CCURL_SHIM_H
// Typed one-line wrappers: curl_easy_setopt, curl_multi_setopt and curl_easy_getinfo are variadic,
// which Swift cannot call.
#include <curl/curl.h>
#include <netinet/in.h>

typedef size_t (*ccurl_write_callback)(char *data, size_t size, size_t count, void *context);

CURLcode ccurl_easy_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode ccurl_easy_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode ccurl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode ccurl_easy_setopt_write_callback(CURL *handle, ccurl_write_callback callback);
CURLcode ccurl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode ccurl_easy_getinfo_double(CURL *handle, CURLINFO info, double *value);

/// Where a probe's sockets leave from, by address family. A family without a source is left to the kernel.
typedef struct ccurl_probe_source {
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
    int has_v4;
    int has_v6;
    /// Set by a bind that failed: its errno and the family it was for (AF_INET or AF_INET6); 0 while none did.
    int bind_errno;
    int bind_family;
    /// Sockets bound so far: when one was, a failure is curl's to report, not the bind's.
    int bound;
} ccurl_probe_source;

/// Binds every connection `handle` makes to the source of its family (CURLOPT_SOCKOPTFUNCTION). `source` must
/// stay valid while the handle can connect; a failed bind fails that connection attempt and is kept in `source`.
CURLcode ccurl_easy_set_probe_source(CURL *handle, ccurl_probe_source *source);

/// libcurl's multi_socket interface over one epoll set (see ccurl_socket_driver.c). Not thread-safe, except
/// ccurl_socket_driver_wake.
typedef struct ccurl_socket_driver ccurl_socket_driver;

/// Installs itself as `multi`'s socket and timer callbacks. NULL if that fails: with `*curl_error` set when curl
/// refused a callback, with `*curl_error` CURLM_OK and errno set when calloc, epoll or eventfd failed.
ccurl_socket_driver *ccurl_socket_driver_new(CURLM *multi, CURLMcode *curl_error);
/// Uninstalls the callbacks from the multi handle and frees the driver; NULL is ignored.
void ccurl_socket_driver_free(ccurl_socket_driver *driver);
/// Waits up to `max_wait_ms` (less if curl's timer is due sooner) for socket events or a wake-up, and hands them
/// and an expired timer to curl. Finished transfers are then in curl_multi_info_read. Returns the number of events,
/// or -1 with errno set when epoll_wait failed; `*curl_error` is the first code other than CURLM_OK that
/// curl_multi_socket_action returned, CURLM_OK if none did.
int ccurl_socket_driver_run(ccurl_socket_driver *driver, int max_wait_ms, CURLMcode *curl_error);
/// Makes a waiting ccurl_socket_driver_run return; callable from any thread.
void ccurl_socket_driver_wake(ccurl_socket_driver *driver);

#endif
