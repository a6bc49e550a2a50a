#!/usr/bin/env python3
"""Charts of the cost of growth from bench/growth.sh's growth.json: calls/s
and p99 of scenario 3 (read and mixed) against the catalogue's size, one
SVG per figure (growth-throughput.svg, growth-p99.svg) beside the JSON,
drawn by gnuplot from growth.dat and growth.gp written there too.

Usage: bench/growth_chart.py DIR   (DIR holds growth.json)
"""
import json
import shutil
import subprocess
import sys
from pathlib import Path

out = Path(sys.argv[1])
data = json.loads((out / "growth.json").read_text())
engine = data["engine"]
lines = ["# items read_calls_s mixed_calls_s read_p99_ms mixed_p99_ms"]
for row in data["sizes"]:
    def field(workload, name):
        return f"{row[workload][name]:.1f}" if name in row.get(workload, {}) else "?"
    lines.append(" ".join([str(row["items"]), field("read", "calls_per_s"), field("mixed", "calls_per_s"),
                           field("read", "p99_ms"), field("mixed", "p99_ms")]))
(out / "growth.dat").write_text("\n".join(lines) + "\n")

plot = f"""# Draws growth-throughput.svg and growth-p99.svg from growth.dat: gnuplot growth.gp
set terminal svg size 640,420 dynamic noenhanced font 'sans,11' background rgb 'white'
set datafile missing '?'
set logscale x 10
set format x '%.0s%c'
set xlabel 'items in the catalogue'
set grid
set key above
set yrange [0:*]
set style data linespoints
set output 'growth-throughput.svg'
set title 'Scenario 3 throughput as the catalogue grows ({engine})'
set ylabel 'calls/s'
plot 'growth.dat' using 1:2 title 'read' lw 2 pt 7, '' using 1:3 title 'mixed' lw 2 pt 5
set output 'growth-p99.svg'
set title 'Scenario 3 p99 as the catalogue grows ({engine})'
set ylabel 'p99, ms'
plot 'growth.dat' using 1:4 title 'read' lw 2 pt 7, '' using 1:5 title 'mixed' lw 2 pt 5
"""
(out / "growth.gp").write_text(plot)
if shutil.which("gnuplot"):
    subprocess.run(["gnuplot", "growth.gp"], cwd=out, check=True)
else:
    print("growth_chart.py: no gnuplot; growth.gp written, charts not drawn", file=sys.stderr)
