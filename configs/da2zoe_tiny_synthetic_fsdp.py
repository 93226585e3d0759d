# The demo's tiny model trained sharded: FSDP through MMEngine's
# FlexibleRunner (one FSDP unit per ViT block, the neck, the head).
#   tools/dist_train.sh configs/da2zoe_tiny_synthetic_fsdp.py 2
# Any config trains sharded with the same two keys:
#   --cfg-options runner_type=FlexibleRunner strategy.type=DepthFSDPStrategy
_base_ = ['da2zoe_tiny_synthetic.py']
runner_type = 'FlexibleRunner'
strategy = dict(type='DepthFSDPStrategy', keep_sharded_states=2)
