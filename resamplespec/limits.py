"""Sizes and thresholds that tune speed and memory, never the numbers.

Every limit the package uses to choose how to do a piece of work (threads
or not, bands or one pass, how many pixels per block, how many files or
images to keep) is here, with the measurement that chose it.  Changing one
changes time and memory, never a result: the tests run with the limits
moved (monkeypatching the attributes of this module, which the code reads
at call time) and check the products are the same, bit for bit.
"""

# Bands (n_jobs > 1): the window split into bands of output rows or of
# output columns.  The bands share this Drizzler's accumulators: each kernel
# call writes only its own band (the C core guards every deposit by its
# window), so threads never write the same pixel, and the kernel picks a
# footprint's overlap path from the whole output, never from the band, so
# every pixel gets the same arithmetic as in one pass.  Of the two
# directions the one whose largest band needs the smaller input section is
# taken (on a slit, across the dispersion: columns of wavelength), and bands
# are used only if that section holds at most this share of the first
# input's pixels: on a strongly curved or tilted trace every band needs
# almost every input pixel, and banded passes would then cost more than one
# pass (each band computes the footprints of the pixels it needs, wherever
# they land).
BAND_SHARE_LIMIT = 0.75


# Fewest output rows (or columns) worth a band of their own.
MIN_BAND_ROWS = 4


# Fewest pixels in the first input's section for bands at all.  Each banded
# add costs a thread pool and a pass over the pixel map for the sections
# (about 2 ms for 4 Mpx); measured on 2 cores, bands lost below about a
# million pixels (0.6x for 3 inputs of 40 x 2048, even for 400 x 2048).  On
# one 2048 x 2048 input the square kernel gains 10 % (0.39 -> 0.34 of
# drizzle's time).
MIN_BAND_PIXELS = 1 << 20


# Kernels drawn in bands.  The point kernel's pass is cheaper than choosing
# its bands and running them: on one 2048 x 2048 input, 75 ms in one pass
# against 97 ms in two bands, and 154 against 166 ms with three variances
# (bands took it from 0.87 to 1.86 of drizzle's time in
# benchmarks/kernel_vs_drizzle.py --n-jobs 2), so it always takes one pass.
BANDED_KERNELS = frozenset({"square"})


#: Fewest output columns (or rows, along the dispersion) in a window.
MIN_WINDOW_LINES = 16


#: Fewest input pixels in all for threads in :func:`sample_inputs`: a WCS
#: evaluation holds the GIL for much of its time, and two threads took
#: 1.7x as long as one on 3 inputs of 40 x 2048 and 1.2x on 400 x 2048
#: (2 cores).  Where they start to win was not measured: this is a guess
#: on the safe side.
MIN_THREADED_PIXELS = 1 << 22


#: Pixels evaluated at once: the temporaries of a compound transform (a
#: dozen arrays or more) stay small whatever the size of the input.
SAMPLE_BLOCK_PIXELS = 16384


#: Grids of at most this many pixels (a MOS cutout of 31 x 1400 has 43400)
#: are evaluated in one block: the arrays the transforms make then become
#: the samples, without being copied into them block by block, and the
#: temporaries stay under 0.5 MB each.
ONE_BLOCK_PIXELS = 65536


#: Input pixels mapped onto the output grid at once (pixel maps from WCS
#: samples): the temporaries of the tangent-plane projection stay small.
MAP_BLOCK_PIXELS = 16384


#: Multi-slit ASDF files a process keeps open for reading their slits one
#: by one (see :class:`_OpenFiles`).
OPEN_FILES = 4


#: Inputs a :class:`LazyImages` keeps after reading them (the last ones read).
CACHED_IMAGES = 1


#: FITS files whose extension index and parsed ASDF tree a process keeps
#: for the slit-by-slit reads of a run (the last ones read; see
#: ``resamplespec/io/_fits_layout.py``).  What is kept is headers, the
#: tagged YAML tree and the gwcs made from it, never arrays: 5.5 MB for
#: the tree of a cal file of 30 MOS slits (tracemalloc), about as much
#: again for its 30 gwcs; a few hundred kB for a single slit.  Within this
#: many files each is parsed once per run; beyond it a file is parsed once
#: for each of the three passes of ``in_memory=False`` (metadata, grid,
#: drizzle), never once per slit.
PARSED_FITS_FILES = 16


#: Single-slit FITS files whose parsed ASDF tree (and the gwcs made from
#: it) a run keeps between its passes over the inputs, beyond which such a
#: file's tree is parsed again at each pass (multi-slit files keep theirs,
#: up to :data:`PARSED_FITS_FILES`).  None: on 30 nods of 40 x 2048,
#: ``in_memory=False`` grew by 1.73x one input plus the output keeping none,
#: 3.38x keeping 4 and 5.77x keeping all (benchmarks/bench_memory.py
#: --format fits); keeping none costs time on few inputs: 3 nods took 1.2x
#: the time in memory, 2 LRS nods 1.3x (benchmarks/bench_files.py, b, c).
KEPT_SINGLE_SLIT_TREES = 0
