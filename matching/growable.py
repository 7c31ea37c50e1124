"""A numpy array that grows at the end: the directory and its index take new makers without being rebuilt."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

_FIRST_CAPACITY = 16


class Growable:
    """A one-dimensional array filled from the start; appending is amortised constant time per item.

    `values` is a view of the filled part: valid until the next append, so callers read it afresh each time.
    """

    def __init__(self, dtype: Any, values: Iterable[Any] | np.ndarray = ()) -> None:
        self._data = np.asarray(values if isinstance(values, np.ndarray) else list(values), dtype=dtype)
        self._size = len(self._data)

    def __len__(self) -> int:
        return self._size

    @property
    def values(self) -> np.ndarray:
        return self._data[: self._size]

    def extend(self, items: Iterable[Any] | np.ndarray) -> None:
        new = np.asarray(items if isinstance(items, np.ndarray) else list(items), dtype=self._data.dtype)
        needed = self._size + len(new)
        if needed > len(self._data):
            grown = np.empty(max(needed, 2 * len(self._data), _FIRST_CAPACITY), dtype=self._data.dtype)
            grown[: self._size] = self._data[: self._size]
            self._data = grown
        self._data[self._size : needed] = new
        self._size = needed

    def append(self, item: Any) -> None:
        self.extend([item])
