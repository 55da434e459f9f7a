#!/usr/sbin/dtrace -s
/*
 * loop-sched.d -- when do the benchmark's threads leave the CPU inside the
 * IPC loop, why, and for how long?
 *
 * Shows, per thread (tid), for the context switches that take one of the
 * benchmark's threads off a CPU inside the loop:
 *   @offcpu_events[tid, kind]  how many, by kind: "blocked" (it went to
 *                              sleep: empty or full IPC buffer), "preempted"
 *                              (still runnable) or "exited" (the sender's end)
 *   @offcpu_ns[tid, kind]      how long it stayed off the CPU (nanoseconds)
 *   @oncpu_ns[tid]             CPU time it ran inside the loop
 * and "off-cpu events: N (blocked B, preempted P, exited X)".
 *
 * Usage (as root; the D twin of scripts/bpftrace/loop-sched.bt, probe for probe):
 *   dtrace -s scripts/dtrace/loop-sched.d -c './ipc-static -B -q -b 4096 -i pipe 2thread'
 *   scripts/trace.sh loop-sched -- -B -q -b 4096 -i pipe 2thread
 * On Linux: bpftrace scripts/bpftrace/loop-sched.bt -c './ipc-static -B -q -b 4096 -i pipe 2thread'
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
 * - Kinds come from FreeBSD's sched:::sleep, sched:::preempt and
 *   proc:::lwp-exit, which fire just before the off-cpu probe; a switch with
 *   none of them (e.g. a yield) counts as "preempted".
 * - On-CPU time is measured from on-cpu to off-cpu (the bpftrace twin sums
 *   sched_stat_runtime); a slice that started before the bracket is not
 *   counted, one that ends after it is counted whole.
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
	@offcpu_total = sum(0); @blocked = sum(0); @preempted = sum(0); @exited = sum(0);
	printf("tracing ipc-static (pid %d): loop-sched\n", $target);
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

/* Why the thread is about to leave the CPU (sched_switch's prev_state in
 * the bpftrace twin). */
sched:::sleep
/execname == "ipc-static" && progenyof($target)/
{
	self->why = 1;
}

sched:::preempt
/execname == "ipc-static" && progenyof($target)/
{
	self->why = 2;
}

proc:::lwp-exit
/execname == "ipc-static" && progenyof($target)/
{
	self->why = 3;
}

/* Switch out (sched_switch, prev side). */
sched:::off-cpu
/execname == "ipc-static" && progenyof($target) && phase == 1/
{
	self->kind = self->why == 1 ? "blocked" : self->why == 3 ? "exited" : "preempted";
	@offcpu_events[tid, self->kind] = count();
	@offcpu_total = sum(1);
	@blocked = sum(self->why == 1);
	@exited = sum(self->why == 3);
	@preempted = sum(self->why != 1 && self->why != 3);
	self->off_since = timestamp;
}

/* On-CPU time (sched_stat_runtime in the bpftrace twin). */
sched:::off-cpu
/execname == "ipc-static" && progenyof($target) && phase == 1 && self->on_since/
{
	@oncpu_ns[tid] = sum(timestamp - self->on_since);
}

sched:::off-cpu
/execname == "ipc-static" && progenyof($target)/
{
	self->why = 0;
	self->on_since = 0;
}

/* Switch in (sched_switch, next side). */
sched:::on-cpu
/self->off_since/
{
	@offcpu_ns[tid, self->kind] = quantize(timestamp - self->off_since);
	self->off_since = 0;
}

sched:::on-cpu
/execname == "ipc-static" && progenyof($target)/
{
	self->on_since = timestamp;
}

dtrace:::END
{
	printf("\nbrackets opened: %d\n", opened);
	printf("brackets closed: %d\n", closed);
	printa("off-cpu events: %@d (blocked %@d, preempted %@d, exited %@d)\n",
	    @offcpu_total, @blocked, @preempted, @exited);
	printf("\noff-CPU events in the loop per thread:\n");
	printa("@offcpu_events[%d, %s]: %@d\n", @offcpu_events);
	printf("\ntime off the CPU (ns) per thread:\n");
	printa("@offcpu_ns[%d, %s]: %@d\n", @offcpu_ns);
	printf("on-CPU time in the loop (ns) per thread:\n");
	printa("@oncpu_ns[%d]: %@d\n", @oncpu_ns);
}
