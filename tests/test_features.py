"Lesson 2 helpers: hooks, probes, weight change, filters, with bad inputs."
import numpy as np
import pytest
import torch

from finetune_lessons.core import LessonError
from finetune_lessons import features as Fe
from finetune_lessons.pretraining import SmallCNN


def test_stage_outputs_shapes_and_hooks_removed():
    m = SmallCNN().train()
    outs = Fe.stage_outputs(m, torch.zeros(2, 1, 28, 28), ['block1', 'block4'])
    assert [tuple(o.shape) for o in outs] == [(2, 16, 14, 14), (2, 128, 1, 1)]
    assert m.training and not any(mod._forward_hooks for mod in m.modules())


def test_stage_outputs_on_torchvision_resnet():
    from torchvision.models import resnet18
    outs = Fe.stage_outputs(resnet18(), torch.zeros(1, 3, 64, 64), ['layer1', 'layer4'])
    assert outs[0].shape[1] == 64 and outs[1].shape[1] == 512


def test_unknown_stage_is_named():
    with pytest.raises(LessonError, match=r"no submodule named \['layer9'\]"):
        Fe.stage_outputs(SmallCNN(), torch.zeros(1, 1, 28, 28), ['layer9'])


def test_stage_features_pool_and_batch():
    f = Fe.stage_features(SmallCNN(), torch.zeros(7, 1, 28, 28), ['block1', 'block4'], grid=3, batch_size=3)
    assert f[0].shape == (7, 16 * 9) and f[1].shape == (7, 128)


def test_relative_weight_change():
    a = SmallCNN()
    b = SmallCNN(); b.load_state_dict(a.state_dict())
    with torch.no_grad(): b.block2[0].weight.mul_(2)
    ch = Fe.relative_weight_change(a, b, ['block1', 'block2'])
    assert ch['block1'] == 0 and ch['block2'] == pytest.approx(1.0)


def test_orientation_selectivity_orders_grating_above_noise():
    grating = np.sin(np.arange(12) * 1.3)[None].repeat(12, 0)[None]
    noise = np.random.default_rng(0).standard_normal((20, 12, 12))
    assert Fe.orientation_selectivity(grating)[0] > 0.8 > Fe.orientation_selectivity(noise).mean()


def test_plot_filters_rejects_non_conv_weights():
    with pytest.raises(LessonError, match='expected conv weights'): Fe.plot_filters(torch.zeros(3, 3))
