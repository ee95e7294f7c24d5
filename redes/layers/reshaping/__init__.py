"""Reshaping layers of images and sequences: zero padding, cropping, upsampling (one core per kind in ``base``)."""

from .reshaping1d import Cropping1D, UpSampling1D, ZeroPadding1D
from .reshaping2d import Cropping2D, UpSampling2D, ZeroPadding2D

__all__ = ["Cropping1D", "Cropping2D", "UpSampling1D", "UpSampling2D", "ZeroPadding1D", "ZeroPadding2D"]
