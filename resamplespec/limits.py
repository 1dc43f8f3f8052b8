"""Sizes and thresholds that tune speed and memory, never the numbers, and
the limits of what is plausible input (at the end of the module).

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


#: Fewest input pixels in all for threads in :func:`~resamplespec.geometry.sample_inputs`: a WCS
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


#: Inputs a :class:`~resamplespec.models.LazyImages` keeps after reading them (the last ones read).
CACHED_IMAGES = 1

#: Most covariance planes (neighbour offsets) a Drizzler keeps per output
#: pixel with ``covariance=True``: footprints spanning up to 4 x 9 output
#: pixels (a pixel_scale_ratio of 8 across a tilted slit) fit in 100 planes,
#: 800 bytes per output pixel while drizzling.  A wider footprint is a wild
#: extrapolation or an extreme ratio; it is refused with an explanation
#: rather than allowed to take gigabytes.
COVARIANCE_MAX_PLANES = 100

# --- Limits on what is plausible input (refusals and warnings, not tuning) ---
#
# Unlike the thresholds above, these decide what is drawn or accepted at all:
# moving one changes which hostile inputs are refused or skipped, never the
# numbers of an input inside the limits.

#: Widest footprint, in output pixels along x or along y, that the square
#: kernel draws.  An input pixel covers about ``pixel_scale_ratio`` output
#: pixels along the slit and one or a few along the dispersion (1 to 10 in
#: any real use); a footprint 128 pixels wide is no input pixel's but a pixel
#: map that diverges (a WCS extrapolated far off its detector) or is folded.
#: Such footprints are skipped and counted (``AddCounts.oversized``), with a
#: warning: the time of a footprint grows with its area, and 80 x 80 pixels
#: of a folded map spread over a 1000 x 1000 grid took 5 s before this limit
#: (at most 128**2 overlaps each now: about 0.2 ms a pixel).
MAX_FOOTPRINT_PIXELS = 128.0


#: Smallest ``pixfrac`` accepted.  A footprint of pixfrac**2 times an input
#: pixel's area has overlaps made of the round-off of its corners' positions
#: below about 1e-6 (the kernel skips specks below 1e-12 output pixels), so
#: at pixfrac = 1e-6 round-off decides whether a pixel is drawn at all.
#: 1e-3 keeps footprints a million times above that; ``kernel='point'`` is
#: the limit of a vanishing pixfrac.
MIN_PIXFRAC = 1e-3


#: Range of a constant ``variance_weight`` (e.g. an exposure time) in the
#: reference variance combination sum(W**2 var) / sum(W)**2: W**2 must neither
#: overflow nor underflow double precision with variances between float32's
#: extremes (1e-45 to 3e38) and thousands of inputs.  Only ratios of the
#: weights matter, so weights outside can be scaled by a common factor.
VARIANCE_WEIGHT_RANGE = (1e-30, 1e30)


#: Output grids computed from the inputs (not ``output_shape`` or
#: ``output_wcs``) of more pixels than this are checked for plausibility:
#: at most ``MAX_GRID_PER_INPUT_PIXEL`` output pixels per input pixel (times
#: the pixel scale ratio, when above 1).  Real grids hold about one output
#: pixel per input pixel of one exposure (nods overlap), a few with long
#: nod throws or spectral oversampling; inputs of targets 1 degree apart
#: gave 680 per input pixel (a 48871 x 400 grid, 0.14 % filled), a NIRSpec
#: with a MIRI input 10**5.  Below 4 Mpx (0.13 GB of products) nothing is
#: refused: small inputs may well take a grid larger than themselves.
MIN_GRID_PIXELS_CHECKED = 1 << 22
MAX_GRID_PER_INPUT_PIXEL = 64


#: Most output lines along the slit a grid builder makes (16.7 million: a
#: slit of 0.1'' pixels 466 degrees long).  A span of the inputs that
#: needs more (a WCS that diverges: 1e300, infinity) is refused before any
#: array of that length exists; below it the size of the whole grid is
#: checked as above.
MAX_GRID_LINES = 1 << 24


#: Bytes per output pixel that any run needs at least: the float32 products
#: (data, wht, err, three variances), the int32 context and the DQ.  An
#: output grid needing more than the memory available is refused before it
#: is made (the accumulators, in double, take 3 to 4 times more when held
#: whole: this is the floor, not the estimate).
GRID_BYTES_PER_PIXEL = 32

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
