#!/usr/bin/env python3
"""Runs gostuck on each input of bench/hostile/gen.py and prints a Markdown
table: peak RSS (of the gostuck process, killed after TIMEOUT seconds), wall
and CPU (user + system) time, exit status and the first line of stderr.

Usage: bench/hostile/measure.py GOSTUCK_BINARY DIR [TIMEOUT_SECONDS]
"""
import os, subprocess, sys

BIN, D = sys.argv[1], sys.argv[2]
T = float(sys.argv[3]) if len(sys.argv) > 3 else 60
open(os.path.join(D, "uses-main-go.txt"), "w").write(
    "goroutine 1 [chan receive]:\nmain.main()\n\t/app/main.go:5 +0x2d\n")


def measured(name, args, stdin=None):
    # A fresh Python per row, so RUSAGE_CHILDREN is this row's alone.
    code = (
        "import resource,subprocess,sys,time\n"
        "t0=time.monotonic()\n"
        "p=subprocess.Popen(sys.argv[2:],stdin=(open(sys.argv[1],'rb') if sys.argv[1] else subprocess.DEVNULL),"
        "stdout=subprocess.DEVNULL,stderr=subprocess.PIPE)\n"
        "try:\n _,err=p.communicate(timeout=%f); st=str(p.returncode)\n"
        "except subprocess.TimeoutExpired:\n p.kill(); _,err=p.communicate(); st='killed after %.0f s'\n"
        "w=time.monotonic()-t0\n"
        "u=resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "r=u.ru_maxrss//1024\n"
        "c=u.ru_utime+u.ru_stime\n"
        "l=next((l for l in err.decode(errors='replace').splitlines() if l.strip()),'')\n"
        "l=l.encode('unicode_escape').decode()[:100].replace('|','\\\\|')\n"
        "print(f'| %s | {r} MB | {w:.2f} s | {c:.2f} s | {st} | {l} |',flush=True)\n" % (T, T, name)
    )
    subprocess.run([sys.executable, "-c", code, stdin or ""] + args)


print("| input | peak RSS | wall | CPU | exit | stderr (first line) |")
print("|---|---|---|---|---|---|")
a = lambda *x: [BIN, "analyze", *x]
f = lambda n: os.path.join(D, n)
measured("amplified.pb.gz (225 B)", a("--no-source", f("amplified.pb.gz")))
measured("overflow.pb.gz (90 B)", a("--no-source", f("overflow.pb.gz")))
measured("repeated-ids.txt (31 MB)", a("--no-source", f("repeated-ids.txt")))
measured("zeros-1g.pb.gz (1 MB)", a("--no-source", f("zeros-1g.pb.gz")))
measured("field-zeros-1g.pb.gz (1 MB)", a("--no-source", f("field-zeros-1g.pb.gz")))
if os.path.exists(f("zeros-10g.pb.gz")):
    measured("zeros-10g.pb.gz (10 MB)", a("--no-source", f("zeros-10g.pb.gz")))
measured("FIFO main.go", a("-s", f("src-fifo"), f("uses-main-go.txt")))
measured("main.go -> /dev/zero", a("-s", f("src-zero"), f("uses-main-go.txt")))
measured("75 MB main.go", a("-s", f("src-big"), f("uses-main-go.txt")))
measured("5 MB binary main.go", a("-s", f("src-binary"), f("uses-main-go.txt")))
measured("10,000 nested blocks in main.go", a("-s", f("src-deep"), f("uses-main-go.txt")))
subprocess.run(["sh", "-c", f"head -c 1073741824 /dev/zero > {f('zeros-1g.raw')}"])
measured("1 GB zeros on stdin", a("--no-source", "-"), stdin=f("zeros-1g.raw"))
os.remove(f("zeros-1g.raw"))
