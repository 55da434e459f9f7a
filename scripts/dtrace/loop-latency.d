#!/usr/sbin/dtrace -s
/*
 * loop-latency.d -- how long does each read() and write() take inside the
 * IPC loop, and how much of the loop do they fill?
 *
 * Shows: power-of-two distributions of the time in nanoseconds from entry to
 * return of each read(), write() (and poll() in 1thread) of the loop, the
 * number of those calls, the total time in each, and the loop's own length
 * (the sum of the brackets). A read() or write() that blocks (empty or full
 * IPC buffer) shows up as a long call.
 *
 * Usage (as root; the D twin of scripts/bpftrace/loop-latency.bt, probe for probe):
 *   dtrace -s scripts/dtrace/loop-latency.d -c './ipc-static -B -q -i pipe 2thread'
 *   scripts/trace.sh loop-latency -- -B -q -i pipe 2thread
 * On Linux: bpftrace scripts/bpftrace/loop-latency.bt -c './ipc-static -B -q -i pipe 2thread'
 *
 * The bracket (shared by every script): the return of the sender's start
 * stamp opens the loop, the entry of the receiver's finish stamp closes it.
 * The state is global (phase), not thread-local (self->): in 2thread and 2proc
 * the two stamps are taken in different threads or processes. With -n N each
 * iteration opens and closes its own bracket, and the results add up over
 * all of them. A call belongs to the loop when it entered or returned inside
 * the bracket (the receiver's first read() is entered before the start stamp
 * and returns inside; the sender's last write() may return after the close);
 * the per-call mark (self->in_loop) is thread-local, the bracket is not.
 *
 * Example output: the same lines as the bpftrace twin (its header has a real
 * run from Linux), for instance
 *   bracket 1 open (tid 100231)
 *   bracket 1 close (tid 100230, 2764921 ns)
 *   brackets opened: 1
 *   brackets closed: 1
 * This script was written alongside the bpftrace one and has not been run
 * here: the machines it was developed on have no DTrace.
 *
 * Caveats:
 * - FreeBSD: ipc-static calls the raw system call (__sys_clock_gettime, as
 *   libc's clock_gettime no longer enters the kernel); it still fires
 *   syscall::clock_gettime:entry/return. The read/write/poll probes are
 *   syscall::read, syscall::write, syscall::poll.
 * - Matches execname "ipc-static" and progenyof($target), so it follows the
 *   2thread sender thread and the 2proc child but no other ipc-static run.
 *   Needs -c (or -p).
 * - In 2thread/2proc read and write times overlap (two threads run at once).
 * - Tracing costs time on every call: absolute times are inflated, more so
 *   with small buffers.
 */

#pragma D option quiet
#pragma D option switchrate=10hz
#pragma D option dynvarsize=16m

int phase;		/* 0: before a start stamp, 1: in the loop, 2: in the finish stamp */
int opened;
int closed;
uint64_t t_open;

uint64_t loop_ns;

dtrace:::BEGIN
{
	@read_calls = sum(0); @read_total_ns = sum(0);
	@write_calls = sum(0); @write_total_ns = sum(0);
	@poll_calls = sum(0); @poll_total_ns = sum(0);
	printf("tracing ipc-static (pid %d): loop-latency\n", $target);
}

/*
 * The bracket. D runs the clauses of one probe in program order: the
 * opening clause (phase 0 -> 1) must come before the re-arming one
 * (phase 2 -> 0), or a finish stamp's return would open a new bracket.
 */
syscall::clock_gettime:return
/execname == "ipc-static" && progenyof($target) && phase == 0/
{
	phase = 1;
	opened++;
	t_open = timestamp;
	printf("bracket %d open (tid %d)\n", opened, tid);
}

syscall::clock_gettime:return
/execname == "ipc-static" && progenyof($target) && phase == 2/
{
	phase = 0;
}

syscall::clock_gettime:entry
/execname == "ipc-static" && progenyof($target) && phase == 1/
{
	phase = 2;
	closed++;
	loop_ns += timestamp - t_open;
	printf("bracket %d close (tid %d, %d ns)\n", closed, tid, timestamp - t_open);
}

/* Every entry is timed; only calls that are part of the loop are kept. */
syscall::read:entry,
syscall::write:entry,
syscall::poll:entry
/execname == "ipc-static" && progenyof($target)/
{
	self->start = timestamp;
	self->in_loop = phase == 1;
}

/* Entered before the bracket: counted from the opening. */
syscall::read:return,
syscall::write:return,
syscall::poll:return
/self->start && (self->in_loop || phase == 1)/
{
	self->ns = timestamp - (self->in_loop ? self->start : t_open);
}

syscall::read:return
/self->ns/
{
	@read_ns = quantize(self->ns);
	@read_calls = sum(1);
	@read_total_ns = sum(self->ns);
}

syscall::write:return
/self->ns/
{
	@write_ns = quantize(self->ns);
	@write_calls = sum(1);
	@write_total_ns = sum(self->ns);
}

syscall::poll:return
/self->ns/
{
	@poll_ns = quantize(self->ns);
	@poll_calls = sum(1);
	@poll_total_ns = sum(self->ns);
}

syscall::read:return,
syscall::write:return,
syscall::poll:return
/self->start/
{
	self->start = 0;
	self->in_loop = 0;
	self->ns = 0;
}

dtrace:::END
{
	printf("\nbrackets opened: %d\n", opened);
	printf("brackets closed: %d\n", closed);
	printf("loop ns: %d\n", loop_ns);
	printa("read calls: %@d\n", @read_calls);
	printa("read total ns: %@d\n", @read_total_ns);
	printa("write calls: %@d\n", @write_calls);
	printa("write total ns: %@d\n", @write_total_ns);
	printa("poll calls: %@d\n", @poll_calls);
	printa("poll total ns: %@d\n", @poll_total_ns);
	printf("\nread() time in ns:\n");
	printa(@read_ns);
	printf("write() time in ns:\n");
	printa(@write_ns);
	printf("poll() time in ns:\n");
	printa(@poll_ns);
}
