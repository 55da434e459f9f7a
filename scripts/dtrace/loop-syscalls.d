#!/usr/sbin/dtrace -s
/*
 * loop-syscalls.d -- which system calls does ipc-static make, inside the IPC
 * loop and over its whole run?
 *
 * Shows: every system call by name between the two clock_gettime stamps
 * (@loop_syscalls; the stamps themselves are not counted) and every system
 * call of the whole program (@whole_program), so the purity of the binary
 * can be seen at a glance: inside the loop only read and write (and poll in
 * 1thread), plus the sender's end: in 2thread the sender thread's exit path
 * (a POSIX thread on FreeBSD), in 2proc the child's exit (and the parent's
 * close of its copy of the writer, if the child took its start stamp first).
 * With -i shmem the loop has _umtx_op calls instead of reads and writes
 * (FreeBSD's futex; none at all in 1thread): "futex calls in the loop: N"
 * counts them, and @loop_futex splits them by operation
 * (UMTX_OP_WAIT_UINT, UMTX_OP_WAKE; _PRIVATE between two threads) and
 * return value (-errno for a failure: -60 ETIMEDOUT after shmem's 100 ms).
 *
 * Usage (as root; the D twin of scripts/bpftrace/loop-syscalls.bt, probe for probe):
 *   dtrace -s scripts/dtrace/loop-syscalls.d -c './ipc-static -B -q 2thread'
 *   scripts/trace.sh loop-syscalls -- -B -q 2thread
 * On Linux: bpftrace scripts/bpftrace/loop-syscalls.bt -c './ipc-static -B -q 2thread'
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
 *   futex calls in the loop: 0
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
 * - execve is not in @whole_program: dtrace -c creates the process stopped
 *   after its exec, so the execve has already returned when the probes are
 *   enabled (the bpftrace twin sees it).
 * - FreeBSD names differ from Linux ones (e.g. thr_new for the sender
 *   thread, _umtx_op for its join, fork for 2proc, exit for the 2proc child).
 * - A _umtx_op call is counted once, at its return, when it entered or
 *   returned in the bracket (the 2thread join's, if it falls there, too).
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
	printf("tracing ipc-static (pid %d): loop-syscalls\n", $target);
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

syscall:::entry
/execname == "ipc-static" && progenyof($target)/
{
	@whole_program[probefunc] = count();
}

syscall:::entry
/execname == "ipc-static" && progenyof($target) && phase == 1 &&
    probefunc != "clock_gettime"/
{
	@loop_syscalls[probefunc] = count();
	self->in_loop = 1;
}

/* Entered before the bracket opened, returned inside it (the receiver's
 * first read, blocked until the sender's first write). This clause must come
 * before the one that clears self->in_loop. */
syscall:::return
/!self->in_loop && execname == "ipc-static" && progenyof($target) &&
    phase == 1 && probefunc != "clock_gettime"/
{
	@loop_syscalls[probefunc] = count();
}

/* shmem's hand-off (futex(2) in the twin): before the clause that clears
 * self->in_loop, which tells a call entered in the bracket. */
syscall::_umtx_op:entry
/execname == "ipc-static" && progenyof($target)/
{
	self->umtx = 1;
	self->umtx_op = arg1;
}

syscall::_umtx_op:return
/self->umtx && (self->in_loop || phase == 1)/
{
	@loop_futex[self->umtx_op == 15 ? "UMTX_OP_WAIT_UINT_PRIVATE" :
	    self->umtx_op == 11 ? "UMTX_OP_WAIT_UINT" :
	    self->umtx_op == 16 ? "UMTX_OP_WAKE_PRIVATE" :
	    self->umtx_op == 3 ? "UMTX_OP_WAKE" : "other",
	    (int)arg0 == -1 ? -errno : (int)arg0] = count();
	@nfutex = sum(1);	/* an aggregation: a global ++ from two CPUs loses counts */
}

syscall::_umtx_op:return
/self->umtx/
{
	self->umtx = 0;
	self->umtx_op = 0;
}

syscall:::return
/self->in_loop/
{
	self->in_loop = 0;
}

dtrace:::END
{
	printf("\nbrackets opened: %d\n", opened);
	printf("brackets closed: %d\n", closed);
	printa("futex calls in the loop: %@d\n", @nfutex);
	printf("\nsystem calls inside the loop (stamps excluded):\n");
	printa("@loop_syscalls[%s]: %@d\n", @loop_syscalls);
	printf("\nfutex calls in the loop [operation, return value]:\n");
	printa("@loop_futex[%s, %d]: %@d\n", @loop_futex);
	printf("\nsystem calls of the whole program:\n");
	printa("@whole_program[%s]: %@d\n", @whole_program);
}
