//! The usage text.

use crate::output::Sink;

/// The usage, with the defaults, as printed for errors, -h and --help.
pub fn render_usage(out: &mut impl Sink) {
    out.put_str(
        "usage: ipc-static [-BFghjlqsv] [-a cpu[,cpu]] [-b buffersize]\n\
         \x20                 [-i pipe|local|tcp|shmem] [-n iterations]\n\
         \x20                 [-P arch|dcache|instr|tlbmem|sw] [-p tcp_port]\n\
         \x20                 [-t totalsize] mode\n\
         \n\
         Modes (pick one):\n\
         \x20   1thread            IPC within a single thread (shmem: copy in, then out)\n\
         \x20   2thread            IPC between two threads in one process\n\
         \x20   2proc              IPC between two processes\n\
         \x20   describe           print the host's configuration that shapes results\n\
         \n\
         Options:\n\
         \x20   -a cpu[,cpu]       pin both sides to one CPU, or the receiver to the first\n\
         \x20                      and the sender to the second\n\
         \x20   -B                 bare mode: no quiescing (sync, sleeps) around the loop\n\
         \x20   -b buffersize      user buffer size in bytes (default: 131072)\n\
         \x20   -F                 pre-fault: touch every page of the buffers before the\n\
         \x20                      start stamp (default: first touch in the loop)\n\
         \x20   -g                 getrusage: CPU time, faults, context switches per loop\n\
         \x20   -h, --help         print this help on stdout\n\
         \x20   -i pipe|local|tcp|shmem\n\
         \x20                      IPC object: pipe, UNIX socket pair, loopback TCP or\n\
         \x20                      shared memory (default: pipe)\n\
         \x20   -j                 JSON on stdout instead of text\n\
         \x20   -l                 latency: round trips of buffersize bytes each way\n\
         \x20   -n iterations      run the benchmark this many times (default: 1)\n\
         \x20   -P set             performance counters: arch, dcache, instr, tlbmem, sw\n\
         \x20   -p tcp_port        TCP port on 127.0.0.1; 0 picks a free one (default: 10141)\n\
         \x20   -q                 quiet: print nothing on stdout\n\
         \x20   -s                 set the kernel's buffer sizes to buffersize\n\
         \x20                      (socket buffers; a pipe's capacity on Linux; not shmem)\n\
         \x20   -t totalsize       total bytes to move, each way with -l (default: 16777216)\n\
         \x20   -v                 verbose: print the configuration first\n\
         \n\
         Sizes are decimal bytes, optionally with k, m or g (powers of 1024);\n\
         totalsize must be a multiple of buffersize.\n",
    );
}
