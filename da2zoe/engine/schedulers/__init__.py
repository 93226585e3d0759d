from .group_one_cycle_lr import GroupOneCycleLR

__all__ = ['GroupOneCycleLR']
