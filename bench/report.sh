#!/bin/sh
# bench/report.sh OUT: the table of `make bench` from OUT/guest.log (the
# guest's "BENCH ..." console lines) and OUT/host.log. Every figure is
# min / median / max over the repetitions; a ratio is taken per round
# (loaded and unloaded measured back to back) and then summarised.
set -eu
out=$1
{
	[ -f "$out/guest.log" ] && tr -d '\r' <"$out/guest.log" | grep '^BENCH '
	[ -f "$out/host.log" ] && grep '^BENCH ' "$out/host.log"
	[ -f "$out/host.log" ] && grep '^host: ' "$out/host.log"
	[ -f "$out/machine" ] && sed 's/^/machine: /' "$out/machine"
	[ -f "$out/settings" ] && sed 's/^/setting: /' "$out/settings"
	[ -f "$out/guest.log" ] && tr -d '\r' <"$out/guest.log" | grep '^EXEFLOW-BOOTED' | sed 's/^/booted: /'
} | awk '
function kv(line, key,   n, i, a) {
	n = split(line, a, " ")
	for (i = 1; i <= n; i++)
		if (index(a[i], key "=") == 1)
			return substr(a[i], length(key) + 2)
	return ""
}
# stats over v[1..n] -> S_min, S_med, S_max
function stats(v, n,   i, j, t, w) {
	for (i = 1; i <= n; i++) w[i] = v[i] + 0
	for (i = 2; i <= n; i++) {
		t = w[i]
		for (j = i - 1; j >= 1 && w[j] > t; j--) w[j + 1] = w[j]
		w[j + 1] = t
	}
	S_min = w[1]; S_max = w[n]
	S_med = n % 2 ? w[(n + 1) / 2] : (w[n / 2] + w[n / 2 + 1]) / 2
	S_n = n
}
function fmt(x, d) { return sprintf("%." d "f", x) }
function si(x) {
	x += 0
	if (x >= 1e9) return sprintf("%.2f G", x / 1e9)
	if (x >= 1e6) return sprintf("%.2f M", x / 1e6)
	if (x >= 1e3) return sprintf("%.1f k", x / 1e3)
	return sprintf("%.0f ", x)
}
function row(num, name, d, target, verdict, note) {
	printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", num, name,
		fmt(S_min, d), fmt(S_med, d), fmt(S_max, d), S_n, target,
		verdict (note != "" ? "; " note : "")
}
function norow(num, name, why) {
	printf "| %s | %s | - | - | - | 0 | | %s |\n", num, name, why
}
function ge(x, t) { return x >= t ? "met" : "**missed**" }
function le(x, t) { return x <= t ? "met" : "**missed**" }

/^BENCH net / {
	t = kv($0, "test"); r = kv($0, "round") + 0; s = kv($0, "state")
	net[t, r, s] = kv($0, "value"); rounds[t] = r > rounds[t] ? r : rounds[t]
	states[s] = 1
	if (kv($0, "daemon_ns") != "") dns[t, r, s] = kv($0, "daemon_ns")
}
/^BENCH crrcost / {
	r = kv($0, "round") + 0; s = kv($0, "state")
	if ((c = kv($0, "conns")) > 0) {
		cost[r, s] = kv($0, "busy_ns") / c
		cost_d[r, s] = kv($0, "daemon_ns") / c
	}
	cost_rounds = r > cost_rounds ? r : cost_rounds
}
/^BENCH mem / {
	have_mem = 1
	n = kv($0, "flows"); fam = kv($0, "fam"); if (fam == "") fam = 4
	f = n "/" fam; k = ++memn[f]
	a = kv($0, "active")
	mem_total[f, k] = (kv($0, "slab_delta") - kv($0, "base_delta") - kv($0, "shared_delta")) / a
	mem_cache[f, k] = kv($0, "cache_delta") / a
	mem_objsize[f] = kv($0, "objsize")
	mem_shared[f] = "procs " kv($0, "procs") ", owners " kv($0, "owners")
	mem_fixed[f, k] = kv($0, "fixed_slab") / 1024 + kv($0, "fixed_vmalloc_percpu_kb")
	mem_refused[f] += kv($0, "refused")
	if (a + kv($0, "refused") < n) mem_short[f] = 1
}
/^BENCH e2e / {
	have_e2e = 1
	l = kv($0, "load"); k = ++e2en[l]
	secs = kv($0, "total_ns") / 1e9
	e2e_rate[l, k] = kv($0, "in_file") / secs
	e2e_offered[l, k] = kv($0, "sent") / (kv($0, "gen_ns") / 1e9)
	e2e_nl[l, k] = kv($0, "records_exported") / secs
	e2e_drops[l, k] = kv($0, "drop_backlog") + kv($0, "drop_table_full") + \
		kv($0, "drop_alloc") + kv($0, "drop_no_listener") + kv($0, "dropped")
	e2e_missing[l, k] = kv($0, "sent") - kv($0, "in_file")
	e2e_sent[l] = kv($0, "sent")
	rec = kv($0, "records")
	e2e_cpu[l, k] = rec > 0 && kv($0, "daemon_cpu") != "" ? 1e6 * kv($0, "daemon_cpu") / rec : -1
	e2e_hit[l, k] = rec > 0 ? 100 * (rec - kv($0, "hashed")) / rec : 0
}
/^BENCH prof / {
	prof[kv($0, "test"), kv($0, "state"), "idle"] = kv($0, "idle")
	prof[kv($0, "test"), kv($0, "state"), "module"] = kv($0, "module")
	prof[kv($0, "test"), kv($0, "state"), "daemon"] = kv($0, "daemon")
	profs[kv($0, "test")] = 1
}
/^BENCH us / {
	t = kv($0, "test"); c = kv($0, "comp"); r = kv($0, "rep")
	if (t == "writer" || t == "nfdump") { us[t, c, r] = kv($0, "rps"); usn = r > usn ? r : usn }
	else { hs[t, r] = kv($0, "mbps"); hn = r > hn ? r : hn }
}
/^BENCH dpath / { k = ++dpn; dp_cpu[k] = kv($0, "cpu_us_per_rec"); dp_rps[k] = kv($0, "rps"); dp_flows = kv($0, "flows") }
/^host: / { host = substr($0, 7) }
/^machine: / { split(substr($0, 10), m, "="); machine[m[1]] = substr($0, 10 + length(m[1]) + 1) }
/^setting: / { split(substr($0, 10), m, "="); setting[m[1]] = substr($0, 10 + length(m[1]) + 1) }
/^booted: / { booted = $3 }

END {
	print "| # | figure | min | median | max | n | target | vs target (median) |"
	print "|---|---|---|---|---|---|---|---|"
	split("tcp udp crr", tests, " ")
	tname["tcp"] = "TCP throughput, iperf3 over veth"
	tname["udp"] = "UDP 64-byte datagrams/s received"
	tname["crr"] = "new TCP connections/s (connect, 1-byte request/response, close)"
	ttarget["tcp"] = 0.98; ttarget["udp"] = 0.95; ttarget["crr"] = 0.95
	unit["tcp"] = "bit/s"; unit["udp"] = "pkt/s"; unit["crr"] = "conn/s"
	for (i = 1; i <= 3; i++) {
		t = tests[i]
		if (!rounds[t]) { norow(i, tname[t] ": loaded/unloaded", "not run"); continue }
		for (pass = 1; pass <= 2; pass++) {
			s = pass == 1 ? "on" : "mod"
			if (!(s in states)) continue
			n = 0
			delete v; delete off; delete onv
			for (r = 1; r <= rounds[t]; r++) {
				if ((t, r, s) in net && (t, r, "off") in net && net[t, r, "off"] > 0) {
					v[++n] = net[t, r, s] / net[t, r, "off"]
					off[n] = net[t, r, "off"]; onv[n] = net[t, r, s]
				}
			}
			if (!n) continue
			stats(off, n); moff = S_med
			stats(onv, n); mon = S_med
			stats(v, n)
			label = pass == 1 ? "loaded (module + exeflowd) / unloaded" : "module only, no daemon / unloaded"
			row(pass == 1 ? i : i "b", tname[t] ": " label, 3, ">= " ttarget[t],
				pass == 1 ? ge(S_med, ttarget[t]) : "(diagnostic)",
				"medians " si(moff) unit[t] " unloaded, " si(mon) unit[t] " " (pass == 1 ? "loaded" : "module only"))
		}
		# exeflowd on-CPU time per connection while the test ran
		n = 0
		delete v
		for (r = 1; r <= rounds[t]; r++)
			if (t == "crr" && (t, r, "on") in dns && net[t, r, "on"] > 0 && setting["SECS"] > 0)
				v[++n] = dns[t, r, "on"] / (net[t, r, "on"] * setting["SECS"])
		if (n) {
			stats(v, n)
			row(i "c", "exeflowd CPU per connection, loaded (schedstat; on the instruction clock: instructions)",
				0, "", "(diagnostic)", "ns of its threads while the test ran / connections")
		}
		# the same connections by their whole cost, drained
		for (pass = 1; pass <= 2 && t == "crr"; pass++) {
			s = pass == 1 ? "on" : "mod"
			n = 0
			delete v; delete off; delete onv; delete dv
			for (r = 1; r <= cost_rounds; r++)
				if ((r, s) in cost && (r, "off") in cost && cost[r, s] > 0) {
					v[++n] = cost[r, "off"] / cost[r, s]
					off[n] = cost[r, "off"]; onv[n] = cost[r, s]; dv[n] = cost_d[r, s]
				}
			if (!n) continue
			stats(off, n); moff = S_med
			stats(onv, n); mon = S_med
			stats(dv, n); md = S_med
			stats(v, n)
			cu = setting["ICOUNT"] == 1 ? "instructions" : "ns"
			row(i (pass == 1 ? "d" : "e"), "new connections by their whole CPU cost (drained): CPU per connection, unloaded / " (pass == 1 ? "loaded" : "module only"),
				3, "", "(diagnostic)", sprintf("medians %.0f %s unloaded, %.0f %s %s%s", moff, cu, mon, cu,
				pass == 1 ? "loaded" : "module only", pass == 1 ? sprintf(", of it exeflowd %.0f %s", md, cu) : ""))
		}
	}
	for (i = 1; i <= 3; i++) {
		t = tests[i]
		if (!(t in profs)) continue
		busy_on = 100 - prof[t, "on", "idle"]
		pm = 0; pd = 0
		if (busy_on > 0) { pm = 100 * prof[t, "on", "module"] / busy_on; pd = 100 * prof[t, "on", "daemon"] / busy_on }
		num = "1"
		if (t == "udp") num = "2"
		if (t == "crr") num = "3"
		printf "| %s | perf, %s loaded: share of busy samples in the module (ef_*, nf_hook_slow, kprobes) / in exeflowd | %.1f %% | | %.1f %% | 1 | | diagnostic (idle %.0f %% loaded, %.0f %% unloaded) |\n", num, t, pm, pd, prof[t, "on", "idle"], prof[t, "off", "idle"]
	}
	split("10000/4 100000/4 10000/6 100000/6", ns, " ")
	for (i = 1; i <= 4; i++) {
		f = ns[i]
		split(f, nf, "/")
		what = "N = " nf[1] " IPv" nf[2]
		if (!memn[f]) { norow("4", "kernel bytes per flow, " what, "not run"); continue }
		delete v
		for (k = 1; k <= memn[f]; k++) v[k] = mem_total[f, k]
		stats(v, memn[f])
		tot_med = S_med
		note = "all slab growth less the same traffic unloaded and less the shared process record (exeflow_proc); flow object " mem_objsize[f] " B in exeflow_flow" nf[2] "; shared: " mem_shared[f]
		if (mem_short[f]) note = note "; WARNING: fewer live flows than N (refused " mem_refused[f] ")"
		row("4", "kernel bytes per tracked flow, " what " concurrent", 1, "<= 128", le(S_med, 128), note)
		delete v
		for (k = 1; k <= memn[f]; k++) v[k] = mem_cache[f, k]
		stats(v, memn[f])
		row("4", "... of which the exeflow_flow" nf[2] " slab cache, " what, 1, "", "", "")
	}
	if (memn[ns[1]]) {
		delete v
		for (k = 1; k <= memn[ns[1]]; k++) v[k] = mem_fixed[ns[1], k]
		stats(v, memn[ns[1]])
		row("4", "fixed cost of the loaded module, KiB (hash table, stats; no flows)", 0, "", "", "slab + vmalloc + percpu")
	}
	for (pass = 1; pass <= 2; pass++) {
		l = pass == 1 ? "burst" : "paced"
		n = e2en[l]
		if (!n) { if (pass == 1) norow("5", "end to end", "not run"); continue }
		delete v; delete w
		for (k = 1; k <= n; k++) { v[k] = e2e_rate[l, k]; w[k] = e2e_offered[l, k] }
		stats(w, n); off_med = S_med
		stats(v, n)
		row("5", "end to end, " l ": flows/s from module to sealed nfcapd file", 0, "", "",
			sprintf("%d flows, offered at %s flows/s (median)", e2e_sent[l], si(off_med)))
		delete v
		for (k = 1; k <= n; k++) v[k] = e2e_nl[l, k]
		stats(v, n)
		row("5", "... netlink records/s delivered (NEW + END)", 0, "", "", "")
		delete v
		for (k = 1; k <= n; k++) v[k] = e2e_drops[l, k]
		stats(v, n)
		row("5", "... records dropped (module + daemon counters)", 0, "", "", "")
		delete v
		for (k = 1; k <= n; k++) v[k] = e2e_missing[l, k]
		stats(v, n)
		row("5", "... flows sent but not in the file", 0, "", "", "")
		if (e2e_cpu[l, 1] >= 0) {
			delete v
			for (k = 1; k <= n; k++) v[k] = e2e_cpu[l, k]
			stats(v, n)
			row("5", "... exeflowd CPU per netlink record, us (in the guest)", 1, "", "", "")
		}
	}
	if (e2en["burst"]) {
		delete v
		for (k = 1; k <= e2en["burst"]; k++) v[k] = e2e_hit["burst", k]
		stats(v, e2en["burst"])
		row("6", "hash cache hit rate in the end-to-end burst, %", 3, ">= 99", ge(S_med, 99), "(records - executables hashed) / records")
	}
	for (pass = 1; pass <= 2; pass++) {
		c = pass == 1 ? "none" : "lz4"
		if (!usn) { norow("6", "nfcapd writer", "not run"); break }
		delete v; delete w; delete q
		for (r = 1; r <= usn; r++) { v[r] = us["writer", c, r]; w[r] = us["nfdump", c, r]; q[r] = v[r] / w[r] }
		stats(w, usn); nmed = S_med
		stats(v, usn)
		row("6", "nfcapd writer, " c ", records/s (1 M attributed records)", 0, ">= 1000000", ge(S_med, 1e6) " and " (S_med >= nmed ? "above" : "**below**") " nfdump", "")
		stats(w, usn)
		row("6", "... nfdump -r X -w Y" (c == "lz4" ? " -y" : "") ", same records, records/s", 0, "", "", "")
		stats(q, usn)
		row("6", "... writer / nfdump", 2, ">= 1", ge(S_med, 1), "")
	}
	if (dpn) {
		delete v; for (k = 1; k <= dpn; k++) v[k] = dp_cpu[k]
		stats(v, dpn)
		row("6", "exeflowd per-record path (bench/tools/dpath), CPU us per netlink record", 3, "", "", dp_flows " flows as NEW + END records, warm hash cache")
		delete v; for (k = 1; k <= dpn; k++) v[k] = dp_rps[k]
		stats(v, dpn)
		row("6", "... netlink records/s through it", 0, "", "", "")
	}
	if (hn) {
		delete v; delete w; delete q
		for (r = 1; r <= hn; r++) { v[r] = hs["exehash", r]; w[r] = hs["sha256sum", r]; q[r] = v[r] / w[r] }
		stats(v, hn)
		row("6", "one-pass MD5+SHA-256, MiB/s (256 MiB file, page cache)", 0, "", "", "")
		stats(w, hn)
		row("6", "... sha256sum, same file, MiB/s", 0, "", "", "")
		stats(q, hn)
		row("6", "... MD5+SHA-256 / sha256sum", 2, ">= 0.8", ge(S_med, 0.8), "")
	}
	print ""
	icount = setting["ICOUNT"] == 1
	if (machine["kver"] != "")
		printf "Guest: Debian %s (booted %s) under %s, TCG, %s, 2 GiB; host: %s CPUs of %s, kernel %s; host load average %s before the guest run, %s after.\n", machine["kver"], booted, machine["qemu"], icount ? "1 vCPU, -icount shift=0,sleep=off" : "2 vCPUs", machine["host_cpus"], machine["host_cpu"], machine["host_kernel"], machine["load_before"], machine["load_after"]
	if (host != "")
		printf "Userspace: %s.\n", host
	# the settings of the parts that ran
	set = ""
	if (rounds["tcp"] || rounds["udp"] || rounds["crr"])
		set = set sprintf("; %s rounds of %s s per test and state (%s), quick=%s", setting["ROUNDS"], setting["SECS"], setting["STATES"], setting["QUICK"])
	if (have_mem)
		set = set sprintf("; memory: N = %s, %s reps", setting["MEM_FLOWS"], setting["MEM_REPS"])
	if (have_e2e)
		set = set sprintf("; end to end: %s flows, %s reps", setting["E2E_FLOWS"], setting["E2E_REPS"])
	if (usn || hn)
		set = set sprintf("; userspace: %s records, %s reps, hash %s reps", setting["US_RECORDS"], setting["US_REPS"], setting["HASH_REPS"])
	if (set != "")
		printf "Settings: %s.\n", substr(set, 3)
	if (icount)
		print "Kernel figures come from a QEMU TCG guest whose clock counts executed instructions (one per ns): a rate is work per instruction, a ratio what the module adds in instructions, free of the noise of the host and blind to caches and TLBs."
	else
		print "Kernel figures come from a QEMU TCG guest: absolute rates there mean nothing; only the ratios of interleaved runs in the same boot do."
}'
