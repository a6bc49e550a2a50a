# Draws throughput.svg from throughput.dat: gnuplot throughput.gp
set terminal svg size 640,480 dynamic noenhanced font 'sans,11' background rgb 'white'
set output 'throughput.svg'
set title 'Throughput per scenario (all clients; whiskers: min–max of the runs)'
set ylabel 'calls/s'
set datafile missing '?'
set style data histogram
set style histogram errorbars gap 1 lw 1
set style fill solid 0.85 border -1
set boxwidth 0.9 relative
set grid ytics
set key above
set xtics nomirror rotate by -30 left
set yrange [0:*]
plot 'throughput.dat' using 2:3:4:xtic(1) title 'mixed'
