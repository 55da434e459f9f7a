#!/usr/sbin/dtrace -s
/*
 * loop-profile.d -- where does the IPC loop spend its CPU time: on-CPU
 * stack samples of the benchmark's threads, inside the loop only.
 *
 * Shows:
 *   @samples[tid, user stack, kernel stack]  how often a thread of the
 *       benchmark was found on a CPU with those stacks, sampled at 997 Hz on
 *       every CPU, while the loop's bracket was open: the copies (uiomove,
 *       copyin/copyout), the locking, the wake-ups and the scheduling
 *       inside pipe_read/pipe_write or soreceive/sosend (uipc_usrreq.c)
 *   @outside[tid]  samples of the same threads outside the loop (start-up,
 *       quiescing, exit): counted, kept out of the profile
 * scripts/trace.sh loop-profile folds @samples into one "frame;...;frame N"
 * line per distinct stack (scripts/fold-stacks.awk): the thread's role at
 * the root (sender: the thread that opened a bracket; receiver: the one that
 * closed it; sender+receiver in 1thread), then the user frames, outermost
 * first, then the kernel frames. scripts/flamegraph.sh draws it.
 *
 * Usage (as root; the D twin of scripts/bpftrace/loop-profile.bt, probe for probe):
 *   dtrace -s scripts/dtrace/loop-profile.d -c './ipc-static -B -q -t 1g -b 65536 -i pipe 2thread'
 *   scripts/trace.sh loop-profile -- -B -q -t 1g -b 65536 -i pipe 2thread > pipe.folded
 *   scripts/trace.sh loop-profile -o pipe.folded -- -B -q -t 1g -b 65536 -i pipe 2thread
 *   scripts/flamegraph.sh -o pipe.svg pipe.folded
 * On Linux: bpftrace scripts/bpftrace/loop-profile.bt -c './ipc-static -B -q -t 1g -b 65536 -i pipe 2thread'
 *
 * The bracket (shared by every script): the return of the sender's start
 * stamp opens the loop, the entry of the receiver's finish stamp closes it.
 * The state is global (phase), not thread-local (self->): in 2thread and 2proc
 * the two stamps are taken in different threads or processes. With -n N each
 * iteration opens and closes its own bracket, and the samples add up over
 * all of them.
 *
 * Example output: the same lines as the bpftrace twin (its header has a real
 * run from Linux), for instance
 *   bracket 1 open (tid 100231)
 *   bracket 1 close (tid 100230, 974871307 ns)
 *   brackets opened: 1
 *   brackets closed: 1
 * and, folded by scripts/trace.sh,
 *   sender;...;ipc_static::run::transfer::send;pipe_write;uiomove;... 322
 * This script was written alongside the bpftrace one and has not been run
 * here: the machines it was developed on have no DTrace.
 *
 * Caveats:
 * - FreeBSD: ipc-static calls the raw system call (__sys_clock_gettime, as
 *   libc's clock_gettime no longer enters the kernel); it still fires
 *   syscall::clock_gettime:entry/return.
 * - The stacks are printed after the benchmark has exited, and ./ipc-static
 *   is stripped: user frames print as addresses, which
 *   scripts/fold-stacks.awk names from ipc-static.sym (make writes it next to
 *   the binary). Module prefixes (kernel`, ipc-static`) and offsets are
 *   dropped when folding.
 * - profile-997 fires on every CPU 997 times a second (not 1000, so as not
 *   to run in lockstep with timer-driven work); a sleeping thread is not
 *   sampled. A short loop gets few samples: raise -t (or -n) until the loop
 *   lasts a second or so.
 * - Matches execname "ipc-static" and progenyof($target), so it follows the
 *   2thread sender thread and the 2proc child but no other ipc-static run.
 *   Needs -c (or -p).
 */

#pragma D option quiet
#pragma D option switchrate=10hz
#pragma D option dynvarsize=16m
#pragma D option aggsize=16m

int phase;		/* 0: before a start stamp, 1: in the loop, 2: in the finish stamp */
int opened;
int closed;
uint64_t t_open;

dtrace:::BEGIN
{
	printf("tracing ipc-static (pid %d): loop-profile\n", $target);
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

/* profile:hz:997 in the bpftrace twin: the interrupted thread's stacks. */
profile-997
/execname == "ipc-static" && progenyof($target) && phase == 1/
{
	@samples[tid, ustack(), stack()] = count();
}

profile-997
/execname == "ipc-static" && progenyof($target) && phase != 1/
{
	@outside[tid] = count();
}

dtrace:::END
{
	printf("\nbrackets opened: %d\n", opened);
	printf("brackets closed: %d\n", closed);
	printf("\nsamples of the benchmark outside the loop [tid] (not in the profile):\n");
	printa("@outside[%d]: %@d\n", @outside);
	printf("\non-CPU samples in the loop [tid, user stack, kernel stack]:\n");
	printa("@samples[%d, %k\n, %k\n]: %@d\n", @samples);
}
