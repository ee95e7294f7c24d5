"""The table printed by ``model.summary()``."""

from __future__ import annotations


def _format_shape(shape) -> str:
    if isinstance(shape, list):  # a layer with several outputs
        return "[" + ", ".join(map(_format_shape, shape)) + "]"
    return "?" if shape is None else str((None,) + tuple(shape))


def print_summary(model, print_fn=print, line_length: int = 72, connections: dict | None = None) -> None:
    """Print layer names and types, output shapes and parameter counts, then the totals.

    ``connections`` (a functional model's ``{layer: [inbound layers of each call]}``) adds a
    "Connected to" column; a layer called several times gets one line per call.
    """
    if not model.built:
        raise ValueError(
            f"Model '{model.name}' has not been built yet: start it with an Input layer, "
            "or call it on data (fit, predict or model(x)) before summary()."
        )
    columns = (34, 24, line_length - 58)
    if connections is not None:
        line_length += 34
    rule = "─" * line_length

    def row(name: str, shape: str, params: str, inbound: str = "") -> str:
        text = f"{name:<{columns[0]}}{shape:<{columns[1]}}{params:>{columns[2]}}"
        return (text + f"  {inbound}").rstrip() if connections is not None else text

    print_fn(f'Model: "{model.name}"')
    print_fn(rule)
    print_fn(row("Layer (type)", "Output Shape", "Param #", "Connected to"))
    print_fn("═" * line_length)
    for layer in model.layers:
        label = f"{layer.name} ({type(layer).__name__})"
        inbound = (connections or {}).get(layer) or ["-"]
        print_fn(row(label[:columns[0] - 1], _format_shape(layer.output_shape), f"{layer.count_params():,}",
                     inbound[0]))
        for more in inbound[1:]:
            print_fn(row("", "", "", more))
    print_fn("═" * line_length)
    total = model.count_params()
    trainable = sum(w.size for w in model.trainable_weights)
    itemsize = model.weights[0].itemsize if model.weights else 4
    print_fn(f"Total params: {total:,} ({total * itemsize / 1024 ** 2:.2f} MB)")
    print_fn(f"Trainable params: {trainable:,}")
    print_fn(f"Non-trainable params: {total - trainable:,}")
    print_fn(rule)
