#!/usr/sbin/dtrace -s
/*
 * loop-returns.d -- what do read() and write() return inside the IPC
 * loop?
 *
 * Shows: power-of-two distributions (quantize) of the return values of
 * read() and write() between the two clock_gettime stamps -- the lab's Lab 2
 * question -- with the byte totals and call counts per side and per thread.
 * Errors (EAGAIN in 1thread, whose ends are non-blocking) are counted apart;
 * they appear in the distributions as -1.
 *
 * Why the notebook's version is wrong in 2thread: it keeps its bracket in
 * self->ipc_loop, a thread-local variable. Only the sender thread sees the
 * start stamp return, so only its writes are counted; the receiver's thread
 * first sets self->ipc_loop when its *finish* stamp returns, after the loop,
 * so not one read of the loop is seen (in 1thread both stamps are in one
 * thread and it happens to work). Re-created on Linux with per-thread state,
 * 2thread pipe, -t 1048576 -b 65536: 16 writes seen, no read; this script:
 * 16 writes and 16 reads, 1048576 bytes each way.
 *
 * Usage (as root; the D twin of scripts/bpftrace/loop-returns.bt, probe for probe):
 *   dtrace -s scripts/dtrace/loop-returns.d -c './ipc-static -B -q -i local 2thread'
 *   scripts/trace.sh loop-returns -- -B -q -i local 2thread
 * On Linux: bpftrace scripts/bpftrace/loop-returns.bt -c './ipc-static -B -q -i local 2thread'
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
 * - On FreeBSD a failed call returns -1 in arg0 (errno holds the error).
 */

#pragma D option quiet
#pragma D option switchrate=10hz
#pragma D option dynvarsize=16m

int phase;		/* 0: before a start stamp, 1: in the loop, 2: in the finish stamp */
int opened;
int closed;
uint64_t t_open;

dtrace:::BEGIN
{
	@read_calls = sum(0); @read_bytes = sum(0); @read_errors = sum(0);
	@write_calls = sum(0); @write_bytes = sum(0); @write_errors = sum(0);
	printf("tracing ipc-static (pid %d): loop-returns\n", $target);
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
	printf("bracket %d close (tid %d, %d ns)\n", closed, tid, timestamp - t_open);
}

syscall::read:entry,
syscall::write:entry
/execname == "ipc-static" && progenyof($target) && phase == 1/
{
	self->in_loop = 1;
}

syscall::read:return
/self->in_loop || (execname == "ipc-static" && progenyof($target) && phase == 1)/
{
	self->in_loop = 0;
	@read_returns = quantize((int64_t)arg0);
	@read_calls = sum(1);
	@read_bytes = sum((int64_t)arg0 > 0 ? (int64_t)arg0 : 0);
	@read_errors = sum((int64_t)arg0 < 0 ? 1 : 0);
	@calls_by_thread[tid, "read"] = count();
	@bytes_by_thread[tid, "read"] = sum((int64_t)arg0 > 0 ? (int64_t)arg0 : 0);
}

syscall::write:return
/self->in_loop || (execname == "ipc-static" && progenyof($target) && phase == 1)/
{
	self->in_loop = 0;
	@write_returns = quantize((int64_t)arg0);
	@write_calls = sum(1);
	@write_bytes = sum((int64_t)arg0 > 0 ? (int64_t)arg0 : 0);
	@write_errors = sum((int64_t)arg0 < 0 ? 1 : 0);
	@calls_by_thread[tid, "write"] = count();
	@bytes_by_thread[tid, "write"] = sum((int64_t)arg0 > 0 ? (int64_t)arg0 : 0);
}

dtrace:::END
{
	printf("\nbrackets opened: %d\n", opened);
	printf("brackets closed: %d\n", closed);
	printa("read calls: %@d\n", @read_calls);
	printa("read bytes: %@d\n", @read_bytes);
	printa("read errors: %@d\n", @read_errors);
	printa("write calls: %@d\n", @write_calls);
	printa("write bytes: %@d\n", @write_bytes);
	printa("write errors: %@d\n", @write_errors);
	printf("\nread() return values in the loop:\n");
	printa(@read_returns);
	printf("write() return values in the loop:\n");
	printa(@write_returns);
	printf("calls per thread:\n");
	printa("@calls_by_thread[%d, %s]: %@d\n", @calls_by_thread);
	printf("\nbytes per thread:\n");
	printa("@bytes_by_thread[%d, %s]: %@d\n", @bytes_by_thread);
}
