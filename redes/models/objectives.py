"""Objectives: what ``compile`` chose for each output of a model, and the running means the logs show.

One code path for a model of one output and of several. A model of K outputs minimizes

    L = Σₖ wₖ·Lₖ(yₖ, ŷₖ) + Σ regularization penalties,        wₖ = 1 unless ``loss_weights`` says otherwise,

and its logs hold 'loss' (L, averaged over the epoch's samples) and each metric by name; with several
outputs also each unweighted Lₖ as '<output>_loss' and the metrics as '<output>_<metric>' (Keras'
names). Sample weights w (one array for every output) scale each Lₖ as Keras' 'sum_over_batch_size'
reduction does (``redes.losses``) and reach the weighted metrics, not the plain ones (Keras' rule); a
weighted metric whose name a plain one already has is logged as 'weighted_<metric>'. After a softmax or sigmoid output, a cross-entropy starts from the output's logits
(``takes_logits``, ``output_loss``), as Keras does.
"""

from __future__ import annotations

from .. import losses as losses_module
from .. import metrics as metrics_module
from ..backend import xp
from ..metrics.metrics_utils import as_log_value
from ..tensor import LogitsGradient, Tensor4D, natural_view
from ..validation import check_float


def takes_logits(loss, output: Tensor4D) -> bool:
    """Whether ``loss`` starts from ``output.logits``: a cross-entropy on the probabilities that their activation makes."""
    logits = output.logits
    return (logits is not None and not getattr(loss, "from_logits", True)
            and getattr(loss, "output_activation", None) == logits.activation)


def output_loss(loss, y, output: Tensor4D, output_shape: tuple, with_gradient: bool, checked: bool = False,
                sample_weight=None):
    """``loss`` of one output and, if asked, dL/d(output): (float, Tensor4D or None).

    When the output carries logits its loss can start from (``takes_logits``), the loss is
    computed from them and the gradient is a LogitsGradient, dL/d(logits), as Keras does.
    A masked sequence output counts its unmasked steps only: L = Σ over them / their number (Keras),
    and the masked steps get a zero gradient; with ``sample_weight`` w, L = Σ w·v over them / their
    number (Keras merges the mask into the weights the same way).
    ``checked``: the targets were checked against the output's shape already (once per ``fit``).
    """
    fused = takes_logits(loss, output)
    predictions = natural_view(output.logits.values if fused else output.data, output_shape)
    compute = loss.value_and_gradient_from_logits if fused else loss.value_and_gradient
    mask = step_mask(output, predictions)
    if mask is None:
        value, grad = compute(y, predictions, with_gradient, checked, sample_weight=sample_weight)
    else:
        weights = None if sample_weight is None else masked(sample_weight, mask)
        value, selected = compute(xp.asarray(y)[mask], predictions[mask], with_gradient, checked,
                                  sample_weight=weights) if mask.any() \
            else (0.0, xp.zeros((0,) + predictions.shape[mask.ndim:], dtype=predictions.dtype))
        grad = None
        if with_gradient:
            grad = xp.zeros_like(predictions)
            grad[mask] = selected
    if not with_gradient:
        return value, None
    grad = Tensor4D.from_natural(grad)
    return value, (LogitsGradient(grad) if fused else grad)


def step_mask(output: Tensor4D, predictions):
    """The output's mask if it marks steps of these (batch, steps, ...) predictions, else None."""
    mask = output.mask
    return mask if mask is not None and predictions.shape[:mask.ndim] == mask.shape else None


def masked(sample_weight, mask):
    """The weights of the unmasked steps: per-sample (N,) or per-step (N, steps) weights at ``mask`` (N, steps)."""
    weights = xp.asarray(sample_weight)
    return xp.broadcast_to(weights.reshape(weights.shape + (1,) * (mask.ndim - weights.ndim)), mask.shape)[mask]


class Objectives:
    """The losses, loss weights and metrics of a model's outputs, with the trackers of its logs.

    Args:
        loss: one loss (name or Loss) for every output, or a list with one per output, or a dict keyed
            by output name.
        metrics: a list of metrics (one output); with several outputs a list of such lists, one per
            output, or a dict {output name: metric or list of metrics}. None: no metrics.
        loss_weights: with several outputs, a list or dict of numbers wₖ (default 1 each).
        output_names: the outputs' layer names, the keys of the dicts above and of the logs.
        weighted_metrics: as ``metrics``; these receive the sample weights.

    Attributes: ``losses`` (a Loss per output), ``weights`` (a float per output), ``metrics`` and
    ``weighted_metrics`` (a list of Metric per output).

    Example:
        >>> objectives = Objectives("mse", [["mae"], []], [1.0, 0.5], ["size", "age"])
        >>> [loss.name for loss in objectives.losses], objectives.weights
        (['mean_squared_error', 'mean_squared_error'], [1.0, 0.5])
    """

    def __init__(self, loss, metrics=None, loss_weights=None, output_names: list[str] = ("output",),
                 weighted_metrics=None) -> None:
        self.names = list(output_names)
        several = len(self.names) > 1
        if loss is None:
            raise ValueError("`loss` is required, e.g. loss='mse' or loss='sparse_categorical_crossentropy'"
                             + (", or one per output, e.g. loss=['mse', 'mae']." if several else "."))
        if loss_weights is not None and not several:
            raise ValueError("`loss_weights` weighs the losses of several outputs; this model has one. "
                             f"Received: loss_weights={loss_weights!r}")
        self.losses = [losses_module.get(entry) for entry in self._per_output("loss", loss)]
        weights = self._per_output("loss_weights", loss_weights, default=1.0)
        if any(isinstance(w, bool) or not isinstance(w, (int, float)) for w in weights):
            raise TypeError(f"`loss_weights` must hold numbers. Received: loss_weights={loss_weights!r}")
        self.weights = [check_float("loss_weights", w) for w in weights]
        self.metrics = self._metrics("metrics", metrics)
        self.weighted_metrics = self._metrics("weighted_metrics", weighted_metrics)
        self._total = metrics_module.Mean(name="loss")
        self._output_totals = [metrics_module.Mean(name=f"{name}_loss") for name in self.names] if several else []
        self._prefixes = [f"{name}_" for name in self.names] if several else [""]
        self._values: list[float] = []

    def _metrics(self, name: str, metrics) -> list[list]:
        """``metrics`` (or ``weighted_metrics``) as a list of Metric objects per output."""
        if len(self.names) > 1 or isinstance(metrics, dict):
            entries = self._per_output(name, metrics)
        else:
            if metrics is not None and not isinstance(metrics, (list, tuple)):
                raise TypeError(f"`{name}` must be a list such as ['accuracy']. Received: {name}={metrics!r}")
            entries = [metrics]
        return [[metrics_module.get(metric, loss=loss) for metric in _as_list(entry)]
                for entry, loss in zip(entries, self.losses)]

    def _per_output(self, name: str, value, default=None) -> list:
        """``value`` as one entry per output: a list in output order, a dict keyed by output name, or
        (losses and weights, not metrics of several outputs) one value for every output."""
        names = self.names
        if isinstance(value, dict):
            unknown = [key for key in value if key not in names]
            missing = [key for key in names if key not in value]
            if unknown or (name == "loss" and missing):
                raise ValueError(f"`{name}` must be keyed by the output names {names}. Received keys {list(value)}.")
            return [value.get(key, default) for key in names]
        if isinstance(value, (list, tuple)) and (len(names) > 1 or name == "loss"):
            if len(value) != len(names):
                raise ValueError(f"`{name}` must have one entry per output ({len(names)}: {names}), e.g. "
                                 f"[['accuracy'], []] for metrics. Received: {name}={value!r}")
            return list(value)
        if value is None:
            return [default] * len(names)
        if name in ("metrics", "weighted_metrics"):
            raise ValueError(f"With several outputs, `{name}` must be a list with one entry per output or a dict "
                             f"keyed by the output names {names}. Received: {name}={value!r}")
        return [value] * len(names)

    def check_targets(self, targets: list, shapes: list, count: int) -> None:
        """Raise ValueError unless each target fits its output's predictions, (count, *shape).

        A None in an output shape (a variable length) takes the target's length on that axis.
        """
        for loss, target, shape in zip(self.losses, targets, shapes):
            lengths = target.shape[1:]
            known = tuple(lengths[k] if d is None and k < len(lengths) else d for k, d in enumerate(shape))
            loss.check_targets(target, (count,) + known)

    def compute(self, targets: list, outputs: list[Tensor4D], shapes: list, with_gradient: bool,
                sample_weight=None) -> tuple:
        """(Σₖ wₖ·Lₖ, [wₖ·dLₖ/d(outputₖ)] or None) for one batch; keeps each Lₖ for ``update``.

        The targets must have passed ``check_targets`` (``fit`` and ``evaluate`` check them once, not per
        batch); ``sample_weight`` (N,) or (N, steps), or None, weighs every output's loss.
        """
        total, grads, self._values = 0.0, [], []
        for loss, weight, target, output, shape in zip(self.losses, self.weights, targets, outputs, shapes):
            value, grad = output_loss(loss, target, output, shape, with_gradient, checked=True,
                                      sample_weight=sample_weight)
            self._values.append(value)
            total += weight * value
            if with_gradient:
                grads.append(grad if weight == 1.0 else type(grad)(grad.data * grad.data.dtype.type(weight)))
        return total, (grads if with_gradient else None)

    @property
    def output_values(self) -> list[float]:
        """Each output's loss Lₖ in the last ``compute``."""
        return list(self._values)

    def update(self, targets: list, outputs: list[Tensor4D], shapes: list, total: float,
               sample_weight=None, output_values: list | None = None) -> None:
        """Add one batch to the running means: its total loss, each output's loss (several outputs; those of
        the last ``compute`` unless ``output_values`` gives them), the metrics, and the weighted metrics with
        ``sample_weight``. The losses count as the batch's size (Keras' loss trackers)."""
        count = len(targets[0])
        self._total.update_state(total, sample_weight=count)
        for tracker, value in zip(self._output_totals, self._values if output_values is None else output_values):
            tracker.update_state(value, sample_weight=count)
        for metrics, weighted, target, output, shape in zip(self.metrics, self.weighted_metrics, targets, outputs,
                                                             shapes):
            if metrics or weighted:
                y_pred = output.to_natural(shape)
                weights = sample_weight
                mask = step_mask(output, y_pred)
                if mask is not None:  # the unmasked steps only, as the loss
                    target, y_pred = xp.asarray(target)[mask], y_pred[mask]
                    weights = None if weights is None else masked(weights, mask)
                for metric in metrics:
                    metric.update_state(target, y_pred)
                for metric in weighted:
                    metric.update_state(target, y_pred, sample_weight=weights)

    def reset(self) -> None:
        """Start new running means (each epoch, each evaluation)."""
        for tracker in (self._total, *self._output_totals,
                        *(m for ms in self.metrics + self.weighted_metrics for m in ms)):
            tracker.reset_state()

    def logs(self) -> dict[str, float]:
        """{'loss': …, ['<output>_loss': …,] '[<output>_]<metric>': …} from the running means."""
        logs = {"loss": self._total.result()}
        logs.update({tracker.name: tracker.result() for tracker in self._output_totals})
        for prefix, metrics in zip(self._prefixes, self.metrics):
            logs.update({f"{prefix}{metric.name}": as_log_value(metric.result()) for metric in metrics})
        for prefix, metrics in zip(self._prefixes, self.weighted_metrics):
            for metric in metrics:
                name = f"{prefix}{metric.name}"
                logs[f"{prefix}weighted_{metric.name}" if name in logs else name] = as_log_value(metric.result())
        return logs


def _as_list(entry) -> list:
    return [] if entry is None else list(entry) if isinstance(entry, (list, tuple)) else [entry]
