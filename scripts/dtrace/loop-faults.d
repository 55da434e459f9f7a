#!/usr/sbin/dtrace -s
/*
 * loop-faults.d -- which page faults does the benchmark take inside the IPC
 * loop?
 *
 * Shows: page faults inside the loop per thread, split by where they were
 * taken ("user": the thread's own instructions touched the page; "kernel":
 * the kernel touched a user page for it inside a system call, i.e. the copy
 * of read() into a fresh receive buffer or of write() from a fresh send
 * buffer) and by access (read/write). ipc-static leaves its mmap'd buffers
 * untouched, so first touch happens in the loop: about one fault per page of
 * each buffer, in every iteration (each maps fresh buffers). With -F
 * ipc-static touches every page before the start stamp, and the loop takes
 * none of these. For comparison, the faults of the whole program.
 * Totals: "loop faults: N (user U, kernel K)" and "whole-program faults: N".
 *
 * Usage (as root; the D twin of scripts/bpftrace/loop-faults.bt, probe for probe):
 *   dtrace -s scripts/dtrace/loop-faults.d -c './ipc-static -B -q -i pipe 2thread'
 *   scripts/trace.sh loop-faults -- -B -q -i pipe 2thread
 * On Linux: bpftrace scripts/bpftrace/loop-faults.bt -c './ipc-static -B -q -i pipe 2thread'
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
 * - Uses fbt::vm_fault_trap:entry (FreeBSD 12 and later); on older FreeBSD
 *   use fbt::vm_fault:entry, on illumos vminfo:::as_fault. fbt probes follow
 *   the kernel's internals and may need adjusting on another release.
 * - Faults taken by the pmap layer without vm_fault (e.g. a soft fault fixed
 *   by pmap_emulate_ad_bits) are not seen.
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
	@user = sum(0); @kernel = sum(0); @whole = sum(0); @loop_total = sum(0);
	printf("tracing ipc-static (pid %d): loop-faults\n", $target);
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

/* In a system call or not: tells kernel-mode faults (copyin/copyout) from
 * user-mode ones (the bpftrace twin has exceptions:page_fault_kernel and
 * exceptions:page_fault_user for this). */
syscall:::entry
/execname == "ipc-static" && progenyof($target)/
{
	self->insys = 1;
}

syscall:::return
/execname == "ipc-static" && progenyof($target)/
{
	self->insys = 0;
}

/* FreeBSD 12+: vm_fault_trap(map, vaddr, fault_type, fault_flags, ...),
 * fault_type a VM_PROT_* mask (2 = write). */
fbt::vm_fault_trap:entry
/execname == "ipc-static" && progenyof($target)/
{
	@whole = sum(1);
	@whole_program_faults[self->insys ? "kernel" : "user"] = count();
}

fbt::vm_fault_trap:entry
/execname == "ipc-static" && progenyof($target) && phase == 1/
{
	@loop_total = sum(1);
	@user = sum(self->insys ? 0 : 1);
	@kernel = sum(self->insys ? 1 : 0);
	@loop_faults[tid, self->insys ? "kernel" : "user", arg2 & 2 ? "write" : "read"] = count();
}

dtrace:::END
{
	printf("\nbrackets opened: %d\n", opened);
	printf("brackets closed: %d\n", closed);
	printa("loop faults: %@d (user %@d, kernel %@d)\n", @loop_total, @user, @kernel);
	printa("whole-program faults: %@d\n", @whole);
	printf("\npage faults in the loop [tid, taken in, access]:\n");
	printa("@loop_faults[%d, %s, %s]: %@d\n", @loop_faults);
	printf("\npage faults of the whole program:\n");
	printa("@whole_program_faults[%s]: %@d\n", @whole_program_faults);
}
