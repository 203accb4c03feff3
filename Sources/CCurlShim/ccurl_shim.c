#include "ccurl_shim.h"

#include <errno.h>
#include <sys/socket.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

CURLcode ccurl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode ccurl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode ccurl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode ccurl_easy_setopt_write_callback(CURL *handle, ccurl_write_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}
CURLcode ccurl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}
CURLcode ccurl_easy_getinfo_double(CURL *handle, CURLINFO info, double *value) {
    return curl_easy_getinfo(handle, info, value);
}

// The family is the socket's, not the target's: for a host name only the socket tells which address curl tries.
static int ccurl_bind_probe_source(void *context, curl_socket_t fd, curlsocktype purpose) {
    ccurl_probe_source *source = context;
    if (purpose != CURLSOCKTYPE_IPCXN) return CURL_SOCKOPT_OK;
    int domain = 0;
    socklen_t length = sizeof domain;
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &length) != 0) {
        source->bind_errno = errno;
        return CURL_SOCKOPT_ERROR;
    }
    const struct sockaddr *address;
    socklen_t size;
    if (domain == AF_INET && source->has_v4) {
        address = (const struct sockaddr *)&source->v4;
        size = sizeof source->v4;
    } else if (domain == AF_INET6 && source->has_v6) {
        address = (const struct sockaddr *)&source->v6;
        size = sizeof source->v6;
    } else {
        return CURL_SOCKOPT_OK;
    }
    // Without it bind picks the port before the destination is known, so all probes from one source would share
    // one range of ephemeral ports (about 28,000) instead of one per destination. Best effort: older kernels lack it.
    int one = 1;
    (void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if (bind(fd, address, size) != 0) {
        source->bind_errno = errno;
        source->bind_family = domain;
        return CURL_SOCKOPT_ERROR;
    }
    source->bound += 1;
    return CURL_SOCKOPT_OK;
}

CURLcode ccurl_easy_set_probe_source(CURL *handle, ccurl_probe_source *source) {
    CURLcode code = curl_easy_setopt(handle, CURLOPT_SOCKOPTFUNCTION, ccurl_bind_probe_source);
    if (code != CURLE_OK) return code;
    return curl_easy_setopt(handle, CURLOPT_SOCKOPTDATA, source);
}
