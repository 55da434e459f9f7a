#!/usr/sbin/dtrace -s
/*
 * loop-wakeups.d -- inside the IPC loop, which thread wakes which, and where
 * in the kernel do the benchmark's threads go to sleep?
 *
 * Shows:
 *   @wakeups[waker, tid, wakee, tid]  wakeups in the loop where the waker or
 *       the wakee is one of the benchmark's threads (a write wakes the
 *       blocked reader, a read wakes the blocked writer)
 *   @sleep_stacks[tid, kernel stack]  the kernel stacks at which the
 *       benchmark's threads block in the loop (pipe_read/pipe_write on an
 *       empty or full pipe, soreceive/sosend waiting on a socket buffer,
 *       do_wait/umtxq_sleep in _umtx_op on shmem's word)
 *   @wake_stacks[tid, kernel stack]  the kernel stacks from which the
 *       benchmark's threads wake another in the loop (a pipe's or socket's
 *       wakeup, shmem's UMTX_OP_WAKE: do_wake, umtxq_signal)
 * and the totals "wakeups: N" and "sleeps: N".
 *
 * Usage (as root; the D twin of scripts/bpftrace/loop-wakeups.bt, probe for probe):
 *   dtrace -s scripts/dtrace/loop-wakeups.d -c './ipc-static -B -q -b 4096 -i pipe 2thread'
 *   scripts/trace.sh loop-wakeups -- -B -q -b 4096 -i pipe 2thread
 * On Linux: bpftrace scripts/bpftrace/loop-wakeups.bt -c './ipc-static -B -q -b 4096 -i pipe 2thread'
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
 * - The wakee is matched by name and by being $target or its child
 *   (progenyof() only tests the current thread).
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
	@nwakeups = sum(0);
	@nsleeps = sum(0);
	printf("tracing ipc-static (pid %d): loop-wakeups\n", $target);
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

/* sched:::wakeup runs in the waker (sched_waking in the bpftrace twin):
 * args[0] is the wakee thread, args[1] its process. */
sched:::wakeup
/phase == 1 && ((execname == "ipc-static" && progenyof($target)) ||
    (args[1]->pr_fname == "ipc-static" &&
    (args[1]->pr_pid == $target || args[1]->pr_ppid == $target)))/
{
	@wakeups[execname, tid, args[1]->pr_fname, args[0]->pr_lwpid] = count();
	@nwakeups = sum(1);
}

/* The waker's stack, when the waker is ours (in the same probe's context). */
sched:::wakeup
/phase == 1 && execname == "ipc-static" && progenyof($target)/
{
	@wake_stacks[tid, stack(12)] = count();
}

/* A thread going to sleep (sched_switch with state S/D in the twin). */
sched:::sleep
/execname == "ipc-static" && progenyof($target) && phase == 1/
{
	@sleep_stacks[tid, stack(12)] = count();
	@nsleeps = sum(1);
}

dtrace:::END
{
	printf("\nbrackets opened: %d\n", opened);
	printf("brackets closed: %d\n", closed);
	printa("wakeups: %@d\n", @nwakeups);
	printa("sleeps: %@d\n", @nsleeps);
	printf("\nwho wakes whom in the loop [waker, tid, wakee, tid]:\n");
	printa("@wakeups[%s, %d, %s, %d]: %@d\n", @wakeups);
	printf("\nwhere the threads sleep in the loop [tid, kernel stack]:\n");
	printa("@sleep_stacks[%d, %k]: %@d\n", @sleep_stacks);
	printf("\nwhere the threads wake each other in the loop [tid, kernel stack]:\n");
	printa("@wake_stacks[%d, %k]: %@d\n", @wake_stacks);
}
