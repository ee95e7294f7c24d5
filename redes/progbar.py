"""Progbar: Keras' progress bar for your own training loops (``keras.utils.Progbar``), drawn by tqdm."""

from __future__ import annotations

from tqdm.auto import tqdm

from .validation import check_int, check_one_of, check_str


class Progbar:
    """A progress bar with running values, as ``keras.utils.Progbar``: ``update(step, values)`` or ``add(n, values)``.

    Args:
        target: the number of steps (None: unknown).
        width: kept for Keras code (tqdm sizes the bar to the terminal).
        verbose: 1 a live bar, 2 one line when the bar completes, 0 nothing.
        interval: the least time in seconds between two redraws.
        stateful_metrics: names shown as given (e.g. an epoch's running accuracy); every other name is shown
            as its average over the steps so far, weighted by the steps each update covers, and as the last
            value given once the bar completes (Keras' rules).
        stateless_metrics: the opposite list: these names are averaged, the others shown as given (Keras 3).
        unit_name: what a step is called ('step', 'sample', ...).

    Example:
        >>> bar = Progbar(100, verbose=0)
        >>> bar.update(25, values=[("loss", 1.0)]); bar.update(50, values=[("loss", 0.5)])
        >>> bar.values["loss"]
        0.75
    """

    def __init__(self, target: int | None, width: int = 20, verbose: int = 1, interval: float = 0.05,
                 stateful_metrics=None, stateless_metrics=None, unit_name: str = "step") -> None:
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError("Give only one of `stateful_metrics` and `stateless_metrics`. Received both.")
        self.target = check_int("target", target, 0, allow_none=True)
        self.width = check_int("width", width, 1)
        self.verbose = check_one_of("verbose", verbose, (0, 1, 2))
        self.interval = interval
        self.unit_name = check_str("unit_name", unit_name)
        if stateless_metrics is not None:
            averaged = set(stateless_metrics)
            self._averaged = lambda name: name in averaged
        else:
            shown_as_given = set(stateful_metrics or ())
            self._averaged = lambda name: name not in shown_as_given
        self._sums: dict[str, list[float]] = {}  # name -> [Σ value·steps, Σ steps], or [value, 1] shown as given
        self._seen_so_far = 0
        self._bar = None if verbose != 1 else tqdm(total=target, unit=unit_name, mininterval=interval,
                                                   dynamic_ncols=True)

    @property
    def values(self) -> dict[str, float]:
        """The values the bar shows now: averages, or the last value given for the stateful names."""
        return {name: total / count for name, (total, count) in self._sums.items()}

    def update(self, current: int, values=None, finalize: bool | None = None) -> None:
        """Move the bar to step ``current``; ``values``: [(name, value for the steps since the last update)]."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or []:
            value = float(value)
            if not self._averaged(name) or finalize:  # Keras shows the last value given when the bar completes
                self._sums[name] = [value, 1]
            else:
                steps = max(current - self._seen_so_far, 1)
                total, count = self._sums.get(name, [0.0, 0])
                self._sums[name] = [total + value * steps, count + steps]
        advance, self._seen_so_far = current - self._seen_so_far, current
        text = " - ".join(f"{name}: {value:.4f}" for name, value in self.values.items())
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=False)
            self._bar.update(advance)
            if finalize:
                self._bar.close()
        elif self.verbose == 2 and finalize:
            print(f"{current}/{self.target or current} - {text}")

    def add(self, n: int, values=None) -> None:
        """``update(current + n, values)``."""
        self.update(self._seen_so_far + n, values)
