#!/usr/sbin/dtrace -s
/*
 * whole-program.d -- every system call of one ipc-static run, in order,
 * with arguments and return values (a flow view, like the lab's).
 *
 * Shows one line per system call entry and one per return:
 *   <ns since start> <tid> -> <name>(<arg0>, ..., <arg5>)
 *   <ns since start> <tid> <- <name> = <return value>
 * the bracket lines where the loop opens and closes, process and thread
 * creation ("fork: child pid N", "thread created (thr_new)"), and at the end:
 *   syscalls: N, first syscall: <name>, last syscall: <name>
 * Meant for -B -q runs: no quiescing, no output, and small totals keep it
 * short (every read and write of the loop is a line).
 *
 * Usage (as root; the D twin of scripts/bpftrace/whole-program.bt, probe for probe):
 *   dtrace -s scripts/dtrace/whole-program.d -c './ipc-static -B -q -t 1048576 -b 65536 2thread'
 *   scripts/trace.sh whole-program -- -B -q -t 1048576 -b 65536 2thread
 * On Linux: bpftrace scripts/bpftrace/whole-program.bt -c './ipc-static -B -q -t 1048576 -b 65536 2thread'
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
 * - With dtrace -c the target is created stopped after its exec: execve has
 *   already returned when the probes are enabled, so the first line is the
 *   first call after it (the bpftrace twin shows execve first). To see the
 *   execve, start dtrace first with a predicate on execname alone and run
 *   the benchmark from another shell.
 * - Lines come from per-CPU buffers: sort -n -k1,1 restores the true order.
 * - Arguments are printed raw, in hex; return values in decimal, except the
 *   addresses mmap and shmat return (hex).
 */

#pragma D option quiet
#pragma D option switchrate=10hz
#pragma D option dynvarsize=16m

int phase;		/* 0: before a start stamp, 1: in the loop, 2: in the finish stamp */
int opened;
int closed;
uint64_t t_open;

uint64_t t0;
int nsyscalls;
string first;
string last;

dtrace:::BEGIN
{
	t0 = timestamp;
	printf("tracing ipc-static (pid %d): whole-program\n", $target);
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
	printf("%d %d bracket %d open\n", timestamp - t0, tid, opened);
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
	printf("%d %d bracket %d close (%d ns)\n", timestamp - t0, tid, closed, timestamp - t_open);
}

/*
 * Processes and threads: FreeBSD's proc:::create fires for fork, vfork,
 * pdfork and rfork only; a thread (pthread_create) is made by thr_new(2),
 * whose new tid shows as the tid of its first system call.
 */
proc:::create
/execname == "ipc-static" && progenyof($target)/
{
	printf("%d %d fork: child pid %d\n", timestamp - t0, tid, args[0]->p_pid);
}

syscall::thr_new:return
/execname == "ipc-static" && progenyof($target) && arg0 == 0/
{
	printf("%d %d thread created (thr_new)\n", timestamp - t0, tid);
}

syscall:::entry
/execname == "ipc-static" && progenyof($target)/
{
	printf("%d %d -> %s(0x%x, 0x%x, 0x%x, 0x%x, 0x%x, 0x%x)\n",
	    timestamp - t0, tid, probefunc, arg0, arg1, arg2, arg3, arg4, arg5);
	first = nsyscalls == 0 ? probefunc : first;
	last = probefunc;
	nsyscalls++;
}

/* Calls that return an address (mmap, shmat) in hex unless they failed
 * (-1); the others in signed decimal. */
syscall:::return
/execname == "ipc-static" && progenyof($target) &&
    (probefunc == "mmap" || probefunc == "shmat") && (int64_t)arg0 != -1/
{
	printf("%d %d <- %s = 0x%x\n", timestamp - t0, tid, probefunc, arg0);
}

syscall:::return
/execname == "ipc-static" && progenyof($target) &&
    !((probefunc == "mmap" || probefunc == "shmat") && (int64_t)arg0 != -1)/
{
	printf("%d %d <- %s = %d\n", timestamp - t0, tid, probefunc, (int64_t)arg0);
}

dtrace:::END
{
	printf("\nbrackets opened: %d\n", opened);
	printf("brackets closed: %d\n", closed);
	printf("syscalls: %d\n", nsyscalls);
	printf("first syscall: %s\n", first);
	printf("last syscall: %s\n", last);
}
