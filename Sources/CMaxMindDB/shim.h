#include <stdbool.h>
#include <sys/socket.h>
#include <maxminddb.h>
