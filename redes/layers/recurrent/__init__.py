"""Recurrent layers: a state carried along the steps of a sequence, backpropagated through time by hand."""

from .bidirectional import Bidirectional
from .gru import GRU
from .lstm import LSTM
from .simple_rnn import SimpleRNN

__all__ = ["Bidirectional", "GRU", "LSTM", "SimpleRNN"]
