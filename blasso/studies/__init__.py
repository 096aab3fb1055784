"""Studies: orchestration of instances, solvers and certificates (the top layer).

Study code composes the problem core (:mod:`blasso`), :mod:`solvers` and
:mod:`certificates` into one experiment and returns plain results; it never
prints (progress goes through :mod:`blasso.progress`).  The command line
(:mod:`blasso.cli`) parses arguments, calls one study or solver function and
prints.  Data flows one way: instance -> features -> solver -> measure ->
certificate -> report; only this package and the CLI may import ``solvers``
and ``certificates``.

Modules
-------
api
    The public API (``blasso.solve``, ``certify``, ``compare``, ...), with the
    result objects of :mod:`~blasso.studies.results` and
    :mod:`~blasso.studies.certify_results`.
compare
    Measure comparison (matching, flat distance) and GD against a certified
    convex ground truth.
reproduce
    The paper's Figs. 1-3 against the convex optimum.
"""
