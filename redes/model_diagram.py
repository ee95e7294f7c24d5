"""plot_model: a model's layer graph drawn with matplotlib, as Keras' ``keras.utils.plot_model`` draws it.

Keras needs pydot and Graphviz for this; here it is matplotlib only. One box per layer
("name (Class)", and on request its input and output shapes, dtype, activation, trainable flag),
an arrow from each layer to the layers that read its output, the layers in ranks: a layer's rank
is the length of the longest path to it from an input, so the branches of a functional model
(residual connections, several inputs or outputs) lie side by side.

Example:
    >>> from redes.utils import plot_model
    >>> plot_model(model, to_file="model.png", show_shapes=True)   # returns the Figure
"""

from __future__ import annotations

from .plotting import _finish, _pyplot
from .validation import check_bool, check_one_of, check_positive_int

__all__ = ["plot_model"]

CHAR_WIDTH, LINE_HEIGHT = 0.075, 0.19  # inches, for the 8-point monospace text of the boxes
RANK_GAP, BOX_GAP = 0.45, 0.3  # inches between ranks, and between the boxes of one rank


def plot_model(model, to_file: str | None = "model.png", show_shapes: bool = False, show_dtype: bool = False,
               show_layer_names: bool = True, rankdir: str = "TB", expand_nested: bool = False, dpi: int = 200,
               show_layer_activations: bool = False, show_trainable: bool = False):
    """Draw ``model``'s layers and their connections; save the image to ``to_file`` (None: don't) and return the Figure.

    Args (Keras 3's):
        model: a built Sequential, or a functional Model.
        to_file: the image file (its extension chooses the format: .png, .pdf, .svg, ...); None saves nothing.
        show_shapes, show_dtype: add each layer's input and output shapes, its dtype.
        show_layer_names: write each layer's name before its class (else the class only).
        rankdir: 'TB' (top to bottom, the default) or 'LR' (left to right).
        expand_nested: list the layers of a nested model inside its box.
        dpi: the saved image's resolution.
        show_layer_activations, show_trainable: add each layer's activation, and whether it trains.

    Raises ValueError for a Sequential that is not built yet (its shapes are unknown), or a bad ``rankdir``.

    Example:
        >>> model = Sequential([Input((28, 28)), LSTM(64), Dense(10, activation="softmax")])
        >>> fig = plot_model(model, to_file="lstm.png", show_shapes=True, rankdir="LR")
    """
    for name, value in (("show_shapes", show_shapes), ("show_dtype", show_dtype),
                        ("show_layer_names", show_layer_names), ("expand_nested", expand_nested),
                        ("show_layer_activations", show_layer_activations), ("show_trainable", show_trainable)):
        check_bool(name, value)
    rankdir = check_one_of("rankdir", rankdir, ("TB", "LR"))
    dpi = check_positive_int("dpi", dpi)
    try:
        inputs = model.inputs
    except AttributeError:
        raise ValueError(f"plot_model needs a built model: '{model.name}' has no inputs yet. Give it an Input, "
                         "or build it (model.build(input_shape), or call it on data).") from None
    layers, edges = _graph(model, inputs)
    labels = {layer: _label(layer, show_shapes, show_dtype, show_layer_names, expand_nested, show_layer_activations,
                            show_trainable) for layer in layers}
    ranks = _ranks(layers, edges)
    fig = _draw(layers, edges, labels, ranks, horizontal=rankdir == "LR")
    if to_file is not None:
        fig.set_dpi(dpi)
        _finish(fig, to_file)
    return fig


def _graph(model, inputs) -> tuple[list, list[tuple]]:
    """The layers to draw (the Inputs first) and the (source, destination) pairs between them."""
    layers = [tensor.layer for tensor in inputs] + [layer for layer in model.layers
                                                   if all(layer is not t.layer for t in inputs)]
    members = set(layers)
    edges = []
    for layer in layers:
        for node in layer.inbound_nodes:
            sources = [tensor.layer for tensor in node.inputs]
            if sources and all(source in members for source in sources):
                edges += [(source, layer) for source in sources if (source, layer) not in edges]
    return layers, edges


def _ranks(layers: list, edges: list[tuple]) -> dict:
    """Each layer's rank: 0 for a layer nothing feeds, else one more than the highest rank feeding it."""
    ranks: dict = {}
    parents = {layer: [source for source, destination in edges if destination is layer] for layer in layers}

    def rank(layer) -> int:
        if layer not in ranks:
            ranks[layer] = 1 + max((rank(parent) for parent in parents[layer]), default=-1)
        return ranks[layer]

    for layer in layers:
        rank(layer)
    return ranks


def _label(layer, show_shapes, show_dtype, show_layer_names, expand_nested, show_activation, show_trainable) -> str:
    kind = type(layer).__name__
    lines = [f"{layer.name} ({kind})" if show_layer_names else kind]
    if show_shapes:
        lines += [f"input:  {_shape_text(layer.input_shape)}", f"output: {_shape_text(layer.output_shape)}"]
    if show_dtype:
        lines.append(f"dtype: {layer.dtype}")
    activation = getattr(layer.activation, "name", None)
    if show_activation and activation not in (None, "linear"):
        lines.append(f"activation: {activation}")
    if show_trainable:
        lines.append(f"trainable: {'yes' if layer.trainable else 'no'}")
    if expand_nested and hasattr(layer, "layers"):
        lines += [f"  · {inner.name} ({type(inner).__name__})" for inner in layer.layers]
    return "\n".join(lines)


def _shape_text(shape) -> str:
    """(None, *shape) for a feature shape; a list of them for several."""
    if isinstance(shape, list):
        return "[" + ", ".join(_shape_text(s) for s in shape) + "]"
    return str((None, *shape)) if shape is not None else "?"


def _draw(layers, edges, labels: dict, ranks: dict, horizontal: bool):
    """Boxes placed rank by rank (sizes in inches from the text), arrows from source to destination."""
    size = {layer: (CHAR_WIDTH * max(map(len, labels[layer].split("\n"))) + 0.25,
                    LINE_HEIGHT * (labels[layer].count("\n") + 1) + 0.2) for layer in layers}
    by_rank: dict[int, list] = {}
    for layer in layers:
        by_rank.setdefault(ranks[layer], []).append(layer)
    # along: the axis of the ranks (down for TB, right for LR); across: the boxes of one rank
    along_extent = [max(size[layer][0 if horizontal else 1] for layer in by_rank[r]) for r in sorted(by_rank)]
    across_extent = [sum(size[layer][1 if horizontal else 0] for layer in by_rank[r]) + BOX_GAP * (len(by_rank[r]) - 1)
                     for r in sorted(by_rank)]
    width = max(across_extent)
    centre = {}
    along = 0.0
    for r, extent, row_width in zip(sorted(by_rank), along_extent, across_extent):
        across = (width - row_width) / 2
        for layer in by_rank[r]:
            span = size[layer][1 if horizontal else 0]
            centre[layer] = (across + span / 2, along + extent / 2)
            across += span + BOX_GAP
        along += extent + RANK_GAP
    length = along - RANK_GAP

    def position(layer) -> tuple[float, float]:  # figure inches, y up
        across, down = centre[layer]
        return (down, width - across) if horizontal else (across, length - down)

    figure_size = (length, width) if horizontal else (width, length)
    fig = _pyplot().figure(figsize=(max(figure_size[0], 1.0) + 0.2, max(figure_size[1], 0.5) + 0.2))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-0.1, figure_size[0] + 0.1)
    ax.set_ylim(-0.1, figure_size[1] + 0.1)
    ax.axis("off")
    boxes = {}
    for layer in layers:
        boxes[layer] = ax.text(*position(layer), labels[layer], ha="center", va="center", family="monospace",
                               fontsize=8, bbox={"boxstyle": "round,pad=0.4", "facecolor": "#eef3fb",
                                                 "edgecolor": "#4a6fa5"})
    for source, destination in edges:
        skips = ranks[destination] - ranks[source] > 1  # a skip connection: curve it past the ranks between
        ax.annotate("", xy=position(destination), xytext=position(source),
                    arrowprops={"arrowstyle": "-|>", "color": "#4a6fa5", "patchA": boxes[source].get_bbox_patch(),
                                "patchB": boxes[destination].get_bbox_patch(), "shrinkA": 2, "shrinkB": 2,
                                "connectionstyle": f"arc3,rad={0.6 if skips else 0.0}"})
    return fig
