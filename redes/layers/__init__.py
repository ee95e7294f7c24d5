"""Layers: each receives and returns a Tensor4D, with forward and backward written by hand."""

from .activation import ELU, Activation, LeakyReLU, ReLU, Softmax
from .activity_regularization import ActivityRegularization
from .augmentation import RandomFlip, RandomRotation, RandomTranslation, RandomZoom
from .base import Layer
from .convolution import Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D
from .core import Flatten, Identity, Input, Permute, RepeatVector, Reshape
from .dense import Dense
from .dropout import Dropout, GaussianDropout, GaussianNoise, SpatialDropout1D, SpatialDropout2D
from .embedding import Embedding
from .masking import Masking
from .merge import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add, average, concatenate,
                    dot, maximum, minimum, multiply, subtract)
from .node import SymbolicTensor
from .normalization import (BatchNormalization, GroupNormalization, LayerNormalization, RMSNormalization,
                            UnitNormalization)
from .pooling import (AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D, GlobalAveragePooling2D,
                      GlobalMaxPooling1D, GlobalMaxPooling2D, MaxPooling1D, MaxPooling2D)
from .preprocessing import Normalization, Rescaling
from .recurrent import GRU, LSTM, Bidirectional, SimpleRNN
from .reshaping import (CenterCrop, Cropping1D, Cropping2D, Resizing, UpSampling1D, UpSampling2D, ZeroPadding1D,
                        ZeroPadding2D)
from .time_distributed import TimeDistributed

# Keras' other names for the same classes
Convolution1D, Convolution2D = Conv1D, Conv2D
Convolution1DTranspose, Convolution2DTranspose = Conv1DTranspose, Conv2DTranspose
SeparableConvolution2D = SeparableConv2D
MaxPool1D, MaxPool2D, AvgPool1D, AvgPool2D = MaxPooling1D, MaxPooling2D, AveragePooling1D, AveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
InputLayer = Input

__all__ = ["Activation", "ActivityRegularization", "Add", "Average", "AveragePooling1D", "AveragePooling2D",
    "AvgPool1D", "AvgPool2D", "BatchNormalization", "Bidirectional", "CenterCrop", "Concatenate", "Conv1D",
    "Conv1DTranspose", "Conv2D", "Conv2DTranspose", "Convolution1D", "Convolution1DTranspose", "Convolution2D",
    "Convolution2DTranspose", "Cropping1D", "Cropping2D", "Dense", "DepthwiseConv2D", "Dot", "Dropout", "ELU",
    "Embedding", "Flatten", "GRU", "GaussianDropout", "GaussianNoise", "GlobalAveragePooling1D",
    "GlobalAveragePooling2D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalMaxPool1D", "GlobalMaxPool2D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GroupNormalization", "Identity", "Input", "InputLayer", "LSTM",
    "Layer", "LayerNormalization", "LeakyReLU", "Masking", "MaxPool1D", "MaxPool2D", "MaxPooling1D", "MaxPooling2D",
    "Maximum", "Minimum", "Multiply", "Normalization", "Permute", "RMSNormalization", "RandomFlip", "RandomRotation",
    "RandomTranslation", "RandomZoom", "ReLU", "RepeatVector", "Rescaling", "Reshape", "Resizing", "SeparableConv2D",
    "SeparableConvolution2D", "SimpleRNN", "Softmax", "SpatialDropout1D", "SpatialDropout2D", "Subtract",
    "SymbolicTensor", "TimeDistributed", "UnitNormalization", "UpSampling1D", "UpSampling2D", "ZeroPadding1D",
    "ZeroPadding2D", "add", "average", "concatenate", "dot", "maximum", "minimum", "multiply", "subtract"]
