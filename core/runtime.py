"""Process settings of a long-running server process (the WSGI/ASGI app; the bench imitates it).

Python's cyclic garbage collector walks every tracked object in a full collection: with Django,
the apps, URL and template caches loaded (~160 000 objects) one took 150–180 ms, in the middle of
whichever request happened to allocate the last straw — a report then took 310 ms instead of 150.
What is loaded at startup lives as long as the process, so it is moved out of the collector's
sight (``gc.freeze``), and the youngest generation is collected after 20 000 allocations instead
of 700 (a report page allocates ~70 000 objects; nearly all die by reference counting).
"""

import gc

YOUNG_THRESHOLD = 20_000


def tune_gc():
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
