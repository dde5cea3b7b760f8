"""Which index torch's CPU kernels return among tied values, replayed on the host.

torch's ``sort`` (unless stable), ``kthvalue``, ``topk`` and ``mode`` on CPU pick among equal elements with unstable
selection and sorting algorithms (a quickselect of its own; libstdc++'s ``std::nth_element``,
``std::partial_sort`` and ``std::sort``), so the index of a tied value follows from the exact
sequence of comparisons and swaps. The gradient goes to that index, so to give torch's
gradients ptjax replays the same algorithms here, on the rows that have ties (rows without
ties have one answer, which the device code computes). Each function works on a list of
positions ``a`` ordered by the strict comparison ``less(i, j)`` between positions.
"""

from __future__ import annotations

import math

import numpy as np

_THRESHOLD = 16  # libstdc++'s _S_threshold: below it std::sort is an insertion sort


def _lg(n: int) -> int:
    return n.bit_length() - 1


def _insertion_sort(a, first, last, less):
    for i in range(first + 1, last):
        v = a[i]
        if less(v, a[first]):
            a[first + 1 : i + 1] = a[first:i]
            a[first] = v
        else:
            _unguarded_linear_insert(a, i, less)


def _unguarded_linear_insert(a, last, less):
    v = a[last]
    nxt = last - 1
    while less(v, a[nxt]):
        a[last] = a[nxt]
        last = nxt
        nxt -= 1
    a[last] = v


def _move_median_to_first(a, result, x, y, z, less):
    if less(a[x], a[y]):
        if less(a[y], a[z]):
            pick = y
        elif less(a[x], a[z]):
            pick = z
        else:
            pick = x
    elif less(a[x], a[z]):
        pick = x
    elif less(a[y], a[z]):
        pick = z
    else:
        pick = y
    a[result], a[pick] = a[pick], a[result]


def _partition_pivot(a, first, last, less):
    mid = first + (last - first) // 2
    _move_median_to_first(a, first, first + 1, mid, last - 1, less)
    lo, hi = first + 1, last
    while True:
        while less(a[lo], a[first]):
            lo += 1
        hi -= 1
        while less(a[first], a[hi]):
            hi -= 1
        if not lo < hi:
            return lo
        a[lo], a[hi] = a[hi], a[lo]
        lo += 1


def _adjust_heap(a, first, hole, length, value, less):
    top = hole
    child = hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if less(a[first + child], a[first + child - 1]):
            child -= 1
        a[first + hole] = a[first + child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        a[first + hole] = a[first + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and less(a[first + parent], value):
        a[first + hole] = a[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    a[first + hole] = value


def _make_heap(a, first, last, less):
    length = last - first
    if length < 2:
        return
    parent = (length - 2) // 2
    while True:
        _adjust_heap(a, first, parent, length, a[first + parent], less)
        if parent == 0:
            return
        parent -= 1


def _pop_heap(a, first, last, result, less):
    value = a[result]
    a[result] = a[first]
    _adjust_heap(a, first, 0, last - first, value, less)


def _heap_select(a, first, middle, last, less):
    _make_heap(a, first, middle, less)
    for i in range(middle, last):
        if less(a[i], a[first]):
            _pop_heap(a, first, middle, i, less)


def partial_sort(a, first, middle, last, less):
    """libstdc++ ``std::partial_sort``: heap selection, then heap sort of the front."""
    _heap_select(a, first, middle, last, less)
    while middle - first > 1:
        middle -= 1
        _pop_heap(a, first, middle, middle, less)


def _introsort_loop(a, first, last, depth, less):
    while last - first > _THRESHOLD:
        if depth == 0:
            partial_sort(a, first, last, last, less)
            return
        depth -= 1
        cut = _partition_pivot(a, first, last, less)
        _introsort_loop(a, cut, last, depth, less)
        last = cut


def std_sort(a, first, last, less):
    """libstdc++ ``std::sort`` (introsort, then a final insertion sort)."""
    if last - first < 2:
        return
    _introsort_loop(a, first, last, 2 * _lg(last - first), less)
    if last - first > _THRESHOLD:
        _insertion_sort(a, first, first + _THRESHOLD, less)
        for i in range(first + _THRESHOLD, last):
            _unguarded_linear_insert(a, i, less)
    else:
        _insertion_sort(a, first, last, less)


def nth_element(a, nth, less):
    """libstdc++ ``std::nth_element`` (introselect)."""
    first, last = 0, len(a)
    if first == last or nth == last:
        return
    depth = 2 * _lg(last - first)
    while last - first > 3:
        if depth == 0:
            _heap_select(a, first, nth + 1, last, less)
            a[first], a[nth] = a[nth], a[first]
            return
        depth -= 1
        cut = _partition_pivot(a, first, last, less)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(a, first, last, less)


def quickselect(arr: list, k: int, isnan) -> int:
    """torch's own quickselect (``kthvalue``): the original index left at position ``k``."""
    idx = list(range(len(arr)))
    arr = list(arr)

    def gt(x, y):
        return x > y or (isnan(x) and not isnan(y))

    def swap(i, j):
        arr[i], arr[j] = arr[j], arr[i]
        idx[i], idx[j] = idx[j], idx[i]

    lo, hi = 0, len(arr) - 1
    while hi > lo + 1:
        swap(lo + (hi - lo) // 2, lo + 1)
        if gt(arr[lo + 1], arr[hi]):
            swap(lo + 1, hi)
        if gt(arr[lo], arr[hi]):
            swap(lo, hi)
        if gt(arr[lo + 1], arr[lo]):
            swap(lo + 1, lo)
        i, j, piv = lo + 1, hi, arr[lo]
        while True:
            i += 1
            while gt(piv, arr[i]):
                i += 1
            j -= 1
            while gt(arr[j], piv):
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(lo, j)
        if j <= k:
            lo = i
        if j >= k:
            hi = j - 1
    if hi == lo + 1 and gt(arr[lo], arr[hi]):
        swap(lo, hi)
    return idx[k]


def _isnan_of(row: np.ndarray):
    return math.isnan if row.dtype.kind == "f" else (lambda v: False)


def kthvalue_row(row: np.ndarray, k: int) -> int:
    """Index torch's ``kthvalue`` returns for the ``k``-th (0-based) smallest of ``row``."""
    return quickselect(row.tolist(), k, _isnan_of(row))


def _less(row: np.ndarray, descending: bool):
    """torch's sort comparison between positions: NaN after every number (before, descending)."""
    v = row.tolist()
    isnan = _isnan_of(row)
    nan = [isnan(x) for x in v]
    if descending:

        def less(i, j):
            return (nan[i] and not nan[j]) or v[i] > v[j]
    else:

        def less(i, j):
            return (not nan[i] and nan[j]) or v[i] < v[j]

    return less


def sort_row(row: np.ndarray, descending: bool) -> list:
    """The order torch's ``sort(stable=False)`` gives ``row`` (libstdc++ ``std::sort``)."""
    a = list(range(row.shape[0]))
    std_sort(a, 0, len(a), _less(row, descending))
    return a


def topk_row(row: np.ndarray, k: int, largest: bool, sorted: bool = True) -> list:  # noqa: A002
    """Indices torch's ``topk`` returns for ``row``, in its order."""
    less = _less(row, largest)
    a = list(range(row.shape[0]))
    if k == 0:
        return []
    if k * 64 <= len(a):
        partial_sort(a, 0, k, len(a), less)
    else:
        nth_element(a, k - 1, less)
        if sorted:
            std_sort(a, 0, k - 1, less)
    return a[:k]


def mode_row(row: np.ndarray) -> int:
    """Index torch's ``mode`` returns for ``row``: the last of the mode's run after
    ``std::sort`` by value."""
    v = row.tolist()
    a = list(range(len(v)))
    std_sort(a, 0, len(a), lambda i, j: v[i] < v[j])
    best, best_count, count = 0, 0, 0
    for p in range(len(a)):
        count += 1
        if p == len(a) - 1 or v[a[p]] != v[a[p + 1]]:
            if count > best_count:
                best, best_count = a[p], count
            count = 0
    return best


def all_nan_median_row(row: np.ndarray) -> int:
    """Index torch's ``nanmedian`` returns for a row of NaNs only: its nth_element treats the
    NaNs as equivalent, so the index is wherever the partitioning leaves position 0."""
    a = list(range(row.shape[0]))
    nth_element(a, 0, lambda i, j: False)
    return a[0]
