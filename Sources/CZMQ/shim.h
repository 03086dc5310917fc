// ZeroMQ's C API (Debian: libzmq3-dev), the transport of Jupyter's messaging protocol.
#include <zmq.h>
