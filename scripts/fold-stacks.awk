# fold-stacks.awk -- turn the output of loop-profile (bpftrace or DTrace)
# into folded stacks, one "frame;frame;...;frame count" line per distinct
# stack, which every FlameGraph-family tool reads.
#
#   awk -f scripts/fold-stacks.awk -v symbols=ipc-static.sym \
#       -v folded=out.folded loop-profile-output.txt > log.txt
#
# scripts/trace.sh loop-profile runs it (and sorts the folded lines); by hand
# it is for a saved `bpftrace scripts/bpftrace/loop-profile.bt -c ...` run.
#
# Each @samples[tid, user stack, kernel stack]: N entry becomes
#   ROLE;user frames, outermost first;kernel frames, outermost first N
# ROLE is "sender" for a thread that opened a bracket ("bracket k open (tid
# T)"), "receiver" for one that closed it, "sender+receiver" for one that did
# both (1thread), "other" for any other thread. With -l between two sides the
# side that starts the round trips takes both stamps: when a thread that did
# both shares the profile with threads that did neither, they are the
# "initiator" and the "echoer" instead. Offsets are dropped
# (anon_pipe_write+429 -> anon_pipe_write), so are DTrace's module prefixes
# (kernel`pipe_read+0x1a -> pipe_read). A bare user address (0x400b7b: bpftrace
# prints the benchmark's frames after it has exited) is named from the
# symbols file (scripts/symbols.sh: "ADDRESS SIZE NAME" lines), or kept as it
# is when no function there holds it. Identical folded stacks add up.
#
# Every other line of the input (the tracer's messages, the bracket lines,
# the benchmark's own output) is copied to stdout, followed by a summary:
#   samples in the loop: N (sender S, receiver R, sender+receiver B, other O)
# (with ", initiator I, echoer E" before the ")" in the -l case above)
#   distinct stacks: M
#   samples outside the loop (not in the profile): K
#   user frames named: F of G in the printed stacks (symbols: FILE)
# (-v symbols_of=NAME names the symbols' source in that line instead of FILE.)
# The folded lines go to the file named by -v folded (default: stdout,
# after the copied lines).

function hexval(s,    i, v, c) {
	s = tolower(s)
	sub(/^0x/, "", s)
	v = 0
	for (i = 1; i <= length(s); i++) {
		c = index("0123456789abcdef", substr(s, i, 1))
		if (c == 0)
			return -1
		v = v * 16 + c - 1
	}
	return v
}

# The function holding address a, or "" (binary search over the table).
function symbolize(a,    lo, hi, mid, end) {
	if (nsym == 0 || a < symaddr[1])
		return ""
	lo = 1
	hi = nsym
	while (lo < hi) {
		mid = int((lo + hi + 1) / 2)
		if (symaddr[mid] <= a)
			lo = mid
		else
			hi = mid - 1
	}
	end = symend[lo]
	return (a < end) ? symname[lo] : ""
}

# One printed frame -> one folded frame.
function frame(f, user,    name) {
	sub(/^[ \t]+/, "", f)
	sub(/[ \t]+$/, "", f)
	sub(/^[^` ]*`/, "", f)			# DTrace: module`function
	if (user && f ~ /^0x[0-9a-fA-F]+$/) {
		user_frames++
		name = symbolize(hexval(f))
		if (name != "") {
			named_frames++
			f = name
		}
	} else {
		if (user)
			user_frames++
		if (user && f !~ /^\[/)
			named_frames++
		sub(/\+(0x)?[0-9a-fA-F]+$/, "", f)	# function+offset
	}
	gsub(/;/, ":", f)			# ';' separates frames
	return f
}

function emit(line) {
	if (folded != "")
		print line > folded
	else
		out[++nout] = line
}

BEGIN {
	nsym = 0
	if (symbols != "") {
		while ((getline line < symbols) > 0) {
			if (line ~ /^#/ || split(line, f, " ") < 3)
				continue
			nsym++
			symaddr[nsym] = hexval(f[1])
			size = hexval(f[2])
			symend[nsym] = (size > 0) ? symaddr[nsym] + size : -1
			name = line
			sub(/^[^ ]+ [^ ]+ /, "", name)
			symname[nsym] = name
		}
		close(symbols)
		# A function without a size ends where the next one starts.
		for (i = 1; i <= nsym; i++) {
			if (symend[i] < 0) {
				symend[i] = symaddr[i] + 1
				for (j = i + 1; j <= nsym; j++) {
					if (symaddr[j] > symaddr[i]) {
						symend[i] = symaddr[j]
						break
					}
				}
			}
		}
	}
	in_entry = 0
	outside = 0
	user_frames = 0
	named_frames = 0
}

/^bracket [0-9]+ open \(tid [0-9]+\)/ {
	t = $0
	sub(/.*\(tid /, "", t)
	sub(/\).*/, "", t)
	opener[t] = 1
}

/^bracket [0-9]+ close \(tid [0-9]+,/ {
	t = $0
	sub(/.*\(tid /, "", t)
	sub(/,.*/, "", t)
	closer[t] = 1
}

/^@outside\[[0-9]+\]: [0-9]+/ {
	outside += $2
	next
}

/^@samples\[/ {
	in_entry = 1
	part = "user"
	t = $0
	sub(/^@samples\[[ \t]*/, "", t)
	sub(/[ ,].*/, "", t)
	entry_tid = t
	nuser = 0
	nkern = 0
	next
}

# The end of an entry; ", ]: N" when the kernel stack is empty (a sample
# taken in user space: bpftrace prints the separator and the end on one line).
in_entry && /^[ \t]*(,[ \t]*)?\]:[ \t]*[0-9]+[ \t]*$/ {
	n = $0
	sub(/^[ \t]*(,[ \t]*)?\]:[ \t]*/, "", n)
	n = n + 0
	nentries++
	etid[nentries] = entry_tid
	ecount[nentries] = n
	s = ""
	for (i = nuser; i >= 1; i--)
		s = s ";" ustk[i]
	for (i = nkern; i >= 1; i--)
		s = s ";" kstk[i]
	estack[nentries] = s
	in_entry = 0
	next
}

in_entry && /^[ \t]*,[ \t]*$/ {
	part = "kernel"
	next
}

in_entry {
	if ($0 ~ /^[ \t]*$/)
		next
	if (part == "user")
		ustk[++nuser] = frame($0, 1)
	else
		kstk[++nkern] = frame($0, 0)
	next
}

# The map headers: the summary says it instead.
$0 == "on-CPU samples in the loop [tid, user stack, kernel stack]:" ||
$0 == "samples of the benchmark outside the loop [tid] (not in the profile):" {
	next
}

# Everything else, with runs of blank lines (empty maps) squeezed to one.
/^[ \t]*$/ {
	if (!blank)
		print ""
	blank = 1
	next
}

{
	print
	blank = 0
}

END {
	total = 0
	# -l between two sides: one thread took both stamps, another took none.
	both_seen = 0
	neither_seen = 0
	for (i = 1; i <= nentries; i++) {
		t = etid[i]
		if ((t in opener) && (t in closer))
			both_seen = 1
		else if (!(t in opener) && !(t in closer))
			neither_seen = 1
	}
	round_trips = both_seen && neither_seen
	for (i = 1; i <= nentries; i++) {
		t = etid[i]
		if ((t in opener) && (t in closer))
			role = round_trips ? "initiator" : "sender+receiver"
		else if (t in opener)
			role = "sender"
		else if (t in closer)
			role = "receiver"
		else
			role = round_trips ? "echoer" : "other"
		by_role[role] += ecount[i]
		total += ecount[i]
		key = role estack[i]
		if (!(key in stacks))
			order[++nstacks] = key
		stacks[key] += ecount[i]
	}
	printf("samples in the loop: %d (sender %d, receiver %d, sender+receiver %d, other %d",
	    total, by_role["sender"], by_role["receiver"], by_role["sender+receiver"], by_role["other"])
	if (round_trips)
		printf(", initiator %d, echoer %d", by_role["initiator"], by_role["echoer"])
	printf(")\n")
	printf("distinct stacks: %d\n", nstacks)
	printf("samples outside the loop (not in the profile): %d\n", outside)
	printf("user frames named: %d of %d in the printed stacks (symbols: %s)\n", named_frames, user_frames,
	    (nsym == 0) ? "none" : (symbols_of != "") ? symbols_of : symbols)
	for (i = 1; i <= nstacks; i++)
		emit(order[i] " " stacks[order[i]])
	for (i = 1; i <= nout; i++)
		print out[i]
}
