# Draws growth-throughput.svg and growth-p99.svg from growth.dat: gnuplot growth.gp
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
set title 'Scenario 3 throughput as the catalogue grows (PostgreSQL)'
set ylabel 'calls/s'
plot 'growth.dat' using 1:2 title 'read' lw 2 pt 7, '' using 1:3 title 'mixed' lw 2 pt 5
set output 'growth-p99.svg'
set title 'Scenario 3 p99 as the catalogue grows (PostgreSQL)'
set ylabel 'p99, ms'
plot 'growth.dat' using 1:4 title 'read' lw 2 pt 7, '' using 1:5 title 'mixed' lw 2 pt 5
