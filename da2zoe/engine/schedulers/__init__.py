from .group_one_cycle_lr import GroupOneCycleLR, GroupOneCycleParamScheduler

__all__ = ['GroupOneCycleLR', 'GroupOneCycleParamScheduler']
