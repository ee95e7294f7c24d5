"""Reshaping layers of images and sequences: zero padding, cropping, upsampling (one core per kind in ``base``),
and the image resizing layers Resizing and CenterCrop (``resizing``)."""

from .reshaping1d import Cropping1D, UpSampling1D, ZeroPadding1D
from .reshaping2d import Cropping2D, UpSampling2D, ZeroPadding2D
from .resizing import CenterCrop, Resizing

__all__ = ["CenterCrop", "Cropping1D", "Cropping2D", "Resizing", "UpSampling1D", "UpSampling2D", "ZeroPadding1D", "ZeroPadding2D"]
