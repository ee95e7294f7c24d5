"""Pooling layers: one private core per kind for every rank (``base``), the public layers by rank."""

from .pooling2d import AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D

__all__ = ["AveragePooling2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D", "MaxPooling2D"]
