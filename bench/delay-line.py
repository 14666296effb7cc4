# parfetch's bench: a delay line between two TUN devices, for kernels without netem.
# Usage: python3 delay-line.py <near-tun> <far-tun> <netns-path> <one-way-ms>
# Creates <near-tun> in this network namespace and <far-tun> in the one at <netns-path>, prints "ready",
# then copies every IP packet from one device to the other <one-way-ms> later, in order (a fixed delay
# each way, so a round trip takes twice that). Both devices vanish when it exits: on SIGTERM, or when
# its stdin (a pipe from the bench) closes, so it never outlives the bench. Standard library only.

import collections
import ctypes
import fcntl
import os
import select
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
CLONE_NEWNET = 0x40000000


def open_tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def main():
    near_name, far_name, netns_path, one_way_ms = sys.argv[1:5]
    delay = float(one_way_ms) / 1000
    near = open_tun(near_name)
    # A TUN device is created in the namespace of the process that asks for it: step into the other one
    # (Python 3.11 has no os.setns). The open descriptors keep working from either side.
    libc = ctypes.CDLL(None, use_errno=True)
    netns = os.open(netns_path, os.O_RDONLY)
    if libc.setns(netns, CLONE_NEWNET) != 0:
        sys.exit("delay-line: setns: " + os.strerror(ctypes.get_errno()))
    far = open_tun(far_name)
    sys.stdout.write("ready\n")
    sys.stdout.flush()

    other = {near: far, far: near}
    # Packets read from a device, each with the time it is due on the other one.
    queues = {near: collections.deque(), far: collections.deque()}
    poller = select.epoll()
    poller.register(near, select.EPOLLIN)
    poller.register(far, select.EPOLLIN)
    poller.register(sys.stdin.fileno(), select.EPOLLIN | select.EPOLLHUP)
    read, write, now = os.read, os.write, time.monotonic
    while True:
        due = [queue[0][0] for queue in queues.values() if queue]
        timeout = max(0.0, min(due) - now()) if due else -1
        for fd, _ in poller.poll(timeout):
            if fd not in queues:
                return
            queue = queues[fd]
            at = now() + delay
            try:
                while True:
                    queue.append((at, read(fd, 65536)))
            except BlockingIOError:
                pass
        t = now()
        for source, queue in queues.items():
            target = other[source]
            while queue and queue[0][0] <= t:
                packet = queue.popleft()[1]
                try:
                    write(target, packet)
                except OSError:
                    pass  # a device not up yet, or full: the packet is lost, as on a wire


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
