"The freezing, head and PEFT helpers on the model families practitioners use: torchvision, timm, transformers; random init, offline, tiny."
import warnings

import pytest
import torch
import torch.nn as nn

from finetune_lessons.core import LessonError
from finetune_lessons.finetune import (cached_features, check_optimizer, freeze, head_name, layerwise_lr_groups, new_head,
                                       trainable_parameters, unfreeze)
from finetune_lessons.peft import AdaptedLinear, LoRALinear, add_adapters, add_lora


def _tv(name, **kw):
    import torchvision.models as tvm
    return getattr(tvm, name)(weights=None, **kw)

def _tv_vit():
    from torchvision.models.vision_transformer import VisionTransformer
    return VisionTransformer(image_size=32, patch_size=16, num_layers=2, num_heads=2, hidden_dim=32, mlp_dim=64, num_classes=10)

def _timm(name, **kw):
    import timm
    return timm.create_model(name, pretrained=False, **kw)

def _hf(kind, cls=True):
    import transformers as T
    prefix = {'bert': 'Bert', 'distilbert': 'DistilBert', 'roberta': 'Roberta'}[kind]
    size = (dict(dim=32, n_layers=2, n_heads=2, hidden_dim=64) if kind == 'distilbert' else
            dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64))
    cfg = getattr(T, f"{prefix}Config")(vocab_size=100, max_position_embeddings=64, **size)
    return getattr(T, f"{prefix}{'ForSequenceClassification' if cls else 'Model'}")(cfg)

# family: (factory, output layer, freeze up to, what stays trainable after that freeze)
VISION = {
    'tv_resnet18': (lambda: _tv('resnet18'), 'fc', 'layer3', ('layer4.', 'fc.')),
    'tv_mobilenet_v3_small': (lambda: _tv('mobilenet_v3_small'), 'classifier.3', 'features', ('classifier.',)),
    'tv_efficientnet_b0': (lambda: _tv('efficientnet_b0'), 'classifier.1', 'features', ('classifier.',)),
    'tv_convnext_tiny': (lambda: _tv('convnext_tiny'), 'classifier.2', 'features', ('classifier.',)),
    'tv_vit': (_tv_vit, 'heads.head', 'encoder.layers.encoder_layer_0', ('encoder.layers.encoder_layer_1.', 'encoder.ln.', 'heads.')),
    'timm_resnet18': (lambda: _timm('resnet18'), 'fc', 'layer3', ('layer4.', 'fc.')),
    'timm_vit_tiny': (lambda: _timm('vit_tiny_patch16_224', img_size=32, depth=2), 'head', 'blocks.0', ('blocks.1.', 'norm.', 'head.')),
    'timm_efficientnet_lite0': (lambda: _timm('tf_efficientnet_lite0'), 'classifier', 'blocks', ('conv_head.', 'bn2.', 'classifier.')),
}
TEXT = {
    'bert': (lambda: _hf('bert'), 'classifier', 'bert.encoder.layer.0', ('bert.encoder.layer.1.', 'bert.pooler.', 'classifier.')),
    'distilbert': (lambda: _hf('distilbert'), 'classifier', 'distilbert.transformer.layer.0',
                   ('distilbert.transformer.layer.1.', 'pre_classifier.', 'classifier.')),
    'roberta': (lambda: _hf('roberta'), 'classifier.out_proj', 'roberta.encoder.layer.0', ('roberta.encoder.layer.1.', 'classifier.')),
}
BARE = {  # encoders without a head
    'bert_model': (lambda: _hf('bert', cls=False), None, 'encoder.layer.0', ('encoder.layer.1.', 'pooler.')),
    'distilbert_model': (lambda: _hf('distilbert', cls=False), None, 'transformer.layer.0', ('transformer.layer.1.',)),
    'roberta_model': (lambda: _hf('roberta', cls=False), None, 'encoder.layer.0', ('encoder.layer.1.', 'pooler.')),
}
ALL = {**VISION, **TEXT, **BARE}
IMG = torch.randn(2, 3, 32, 32)
IDS, MASK = torch.randint(5, 100, (2, 6), generator=torch.Generator().manual_seed(0)), torch.tensor([[1] * 6, [1] * 5 + [0]])


def _out(model, family):
    "The model's output on the family's tiny batch, in eval mode."
    with torch.no_grad():
        if family in VISION: return model.eval()(IMG)
        y = model.eval()(IDS, attention_mask=MASK)
        return y.logits if family in TEXT else y.last_hidden_state

def _one_line(excinfo): assert '\n' not in str(excinfo.value), str(excinfo.value)


@pytest.mark.parametrize('family', ALL)
def test_new_head(family):
    make, head, _, _ = ALL[family]
    model = make()
    if head is None:  # a bare encoder has no output layer: say what to pass
        with pytest.raises(LessonError, match=r'no nn.Linear output layer.*pass name=') as e: new_head(model, 3)
        return _one_line(e)
    assert head_name(model) == head
    d = model.get_submodule(head).in_features
    new_head(model, 3)
    assert head_name(model) == head and model.get_submodule(head).out_features == 3 and model.get_submodule(head).in_features == d
    assert _out(model, family).shape == (2, 3)
    if family.startswith('timm'): assert model.num_classes == 3 and model.get_classifier() is model.get_submodule(head)


def test_new_head_keeps_dtype_and_takes_an_explicit_name():
    model = new_head(_tv('resnet18').double(), 4)
    assert model.fc.weight.dtype == torch.float64 and model(IMG.double()).shape == (2, 4)
    bert = new_head(_hf('bert', cls=False), 5, name='pooler.dense')  # odd, but asked for by name
    assert bert.pooler.dense.out_features == 5
    with pytest.raises(LessonError, match="name='encoder' is not an nn.Linear") as e: new_head(_tv_vit(), 3, name='encoder')
    _one_line(e)


def _covered_exactly_once(model, groups):
    ids = [id(p) for g in groups for p in g['params']]
    assert len(ids) == len(set(ids)), 'a parameter in two groups'
    assert set(ids) == {id(p) for p in trainable_parameters(model)}, 'a trainable parameter in no group'


@pytest.mark.parametrize('family', ALL)
def test_layerwise_groups_cover_every_trainable_parameter_once(family):
    make, _, upto, _ = ALL[family]
    model = make()
    for frozen in (False, True):  # all trainable, then the lower part frozen
        if frozen: freeze(model, upto=upto)
        groups = layerwise_lr_groups(model, lr=1e-2, decay=0.5)
        _covered_exactly_once(model, groups)
        lrs = [g['lr'] for g in groups]
        assert lrs == sorted(lrs) and lrs[-1] == 1e-2
        with warnings.catch_warnings():
            warnings.simplefilter('error'); check_optimizer(model, torch.optim.AdamW(groups))  # silent: nothing missing, nothing frozen


@pytest.mark.parametrize('family,own', [('tv_vit', ['class_token']), ('timm_vit_tiny', ['cls_token', 'pos_embed'])])
def test_parameters_on_the_model_itself_join_the_first_group(family, own):
    model = ALL[family][0]()
    first = layerwise_lr_groups(model, lr=1.0)[0]['params']
    assert all(any(p is getattr(model, n) for p in first) for n in own)


def test_layerwise_groups_given_by_hand():
    bert = _hf('bert')
    names = ['bert.embeddings', 'bert.encoder.layer.0', 'bert.encoder.layer.1', 'bert.pooler', 'classifier']
    groups = layerwise_lr_groups(bert, lr=1.0, decay=0.5, groups=names)
    _covered_exactly_once(bert, groups)
    assert [g['lr'] for g in groups] == [1 / 16, 1 / 8, 1 / 4, 1 / 2, 1]
    with pytest.raises(LessonError, match=r'leave out 2 trainable parameters \(e.g. bert.pooler.dense.weight\).*add their submodule') as e:
        layerwise_lr_groups(bert, lr=1.0, groups=[n for n in names if n != 'bert.pooler'])
    _one_line(e)
    with pytest.raises(LessonError, match="'bert' and 'bert.pooler' overlap"): layerwise_lr_groups(bert, 1.0, groups=['bert', 'bert.pooler'])
    tied = nn.Sequential(nn.Embedding(10, 4), nn.Linear(4, 10, bias=False))
    tied[1].weight = tied[0].weight  # tied input and output embeddings: one parameter, one group
    groups = layerwise_lr_groups(tied, lr=1.0)
    _covered_exactly_once(tied, groups)
    assert [g['name'] for g in groups] == ['0']


@pytest.mark.parametrize('family', ALL)
def test_freeze_unfreeze_and_check_optimizer(family):
    make, _, upto, stays = ALL[family]
    model = freeze(make(), upto=upto)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable and all(n.startswith(stays) for n in trainable)
    assert all(p.requires_grad for n, p in model.named_parameters() if n.startswith(stays))
    assert [id(p) for p in trainable_parameters(model)] == [id(p) for _, p in model.named_parameters() if p.requires_grad]
    frozen_bn = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and not m.weight.requires_grad]
    stats = [m.running_mean.clone() for m in frozen_bn]
    assert bool(frozen_bn) == any(isinstance(m, nn.BatchNorm2d) for m in model.modules())  # the BN families have frozen BNs here
    if family in VISION: model.train()(IMG)  # a frozen BN keeps its statistics even in train mode
    assert not any(m.training for m in frozen_bn) and all(torch.equal(m.running_mean, s) for m, s in zip(frozen_bn, stats))
    check_optimizer(model, torch.optim.SGD(trainable_parameters(model), lr=0.1))
    first, *rest = trainable_parameters(model)
    with pytest.raises(LessonError, match=f'{len(rest)} trainable parameters are not in the optimizer') as e: check_optimizer(model, torch.optim.SGD([first], lr=0.1))
    _one_line(e)
    unfreeze(model).train()
    assert all(p.requires_grad for p in model.parameters()) and all(m.training for m in frozen_bn)
    freeze(model)
    with pytest.raises(LessonError, match='no trainable parameters'): check_optimizer(model, torch.optim.SGD(model.parameters(), lr=0.1))


@pytest.mark.parametrize('family', ALL)
def test_cached_features_are_the_input_of_the_output_layer(family):
    make, head, _, _ = ALL[family]
    model = make().train()
    x, kw = (IMG, {}) if family in VISION else (IDS, {'attention_mask': MASK})
    if head is None:
        with pytest.raises(LessonError, match='pooled_features') as e: cached_features(model, x, **kw)
        return _one_line(e)
    out = model.get_submodule(head)
    feats = cached_features(model, x, batch_size=1, **kw)
    assert feats.shape == (2, out.in_features) and model.get_submodule(head) is out and model.training
    with torch.no_grad(): assert torch.allclose(out(feats), _out(model, family), atol=1e-5)


@pytest.mark.parametrize('family', [*TEXT, *BARE, 'timm_vit_tiny'])
def test_lora_and_adapters_with_the_family_defaults(family):
    make = ALL[family][0]
    for add, wrapper, per_layer in ((lambda m: add_lora(m, r=2), LoRALinear, 2 if family != 'timm_vit_tiny' else 1),
                                    (lambda m: add_adapters(m, bottleneck=4), AdaptedLinear, 2)):
        torch.manual_seed(0); model = make(); ref = _out(model, family)
        add(model)
        assert sum(isinstance(m, wrapper) for m in model.modules()) == 2 * per_layer  # 2 layers each
        base = [n for n, p in model.named_parameters() if 'lora_' not in n and '.adapter.' not in n and 'norm' not in n.lower()]
        assert not any(model.get_parameter(n).requires_grad for n in base)  # the base is frozen (LayerNorms may train with adapters)
        assert any(p.requires_grad for p in model.parameters())
        same = torch.equal if wrapper is LoRALinear else (lambda a, b: torch.allclose(a, b, atol=1e-6))
        assert same(_out(model, family), ref)  # LoRA B = 0 and adapter `up` = 0: unchanged at the start
        _covered_exactly_once(model, layerwise_lr_groups(model, lr=1e-3))


def test_peft_on_torchvision_vit_and_the_one_line_errors():
    vit = _tv_vit()
    for call, match in ((lambda: add_lora(vit, ['query', 'value']), 'fuses q, k, v in one in_proj_weight'),
                        (lambda: add_lora(vit, ['out_proj']), 'self_attention.out_proj cannot be wrapped'),
                        (lambda: add_lora(vit), r'defaults for BERT/RoBERTa.*pass target_modules= from \[.*mlp.0'),
                        (lambda: add_adapters(vit), r'defaults for BERT/RoBERTa.*pass target_suffixes= from \[.*mlp.3'),
                        (lambda: add_lora(_tv('resnet18')), r"match no nn.Linear in ResNet: pass target_modules= from \['fc'\]")):
        with pytest.raises(LessonError, match=match) as e: call()
        _one_line(e)
    assert all(p.requires_grad for p in vit.parameters())  # a refused call leaves the model as it was
    ref = _out(vit, 'tv_vit')
    add_lora(vit, ['mlp.0', 'mlp.3'], r=2)
    assert sum(isinstance(m, LoRALinear) for m in vit.modules()) == 4 and torch.equal(_out(vit, 'tv_vit'), ref)
    assert {n.split('.')[-2] for n, p in vit.named_parameters() if p.requires_grad} == {'lora_A', 'lora_B'}
    vit2 = add_adapters(_tv_vit(), ['mlp.3'], bottleneck=4)
    assert sum(isinstance(m, AdaptedLinear) for m in vit2.modules()) == 2
    distil = add_lora(_hf('distilbert'), ['out_lin', 'ffn.lin2'], r=2)  # DistilBERT's own names, a dotted suffix among them
    assert sum(isinstance(m, LoRALinear) for m in distil.modules()) == 4


CNNS = [f for f in VISION if 'vit' not in f]


@pytest.mark.parametrize('family', CNNS)
def test_lora_and_adapters_on_cnns_say_what_to_pass_and_work_on_the_head(family):
    "A CNN has no attention: the family defaults refuse in one line naming its Linear layers; the head's Linear works."
    make, head = VISION[family][0], VISION[family][1]
    for add, kwarg in ((add_lora, 'target_modules'), (add_adapters, 'target_suffixes')):
        with pytest.raises(LessonError, match=rf'pass {kwarg}=') as e: add(make())
        _one_line(e)
        torch.manual_seed(0); model = make(); ref = _out(model, family)
        add(model, [head])  # the only nn.Linear a CNN has: low-rank (or bottleneck) tuning of the classifier
        wrapper = LoRALinear if add is add_lora else AdaptedLinear
        assert sum(isinstance(m, wrapper) for m in model.modules()) == 1
        norms = {f'{m}.{n}' for m, mod in model.named_modules() if isinstance(mod, torch.nn.LayerNorm) for n, _ in mod.named_parameters()}
        extra = norms if add is add_adapters else set()  # adapters train the LayerNorms too (Houlsby et al. 2019): ConvNeXt has them
        assert all(not p.requires_grad for n, p in model.named_parameters() if 'lora_' not in n and '.adapter.' not in n and n not in extra)
        assert torch.allclose(_out(model, family), ref, atol=1e-6)  # unchanged at the start
        _covered_exactly_once(model, layerwise_lr_groups(model, lr=1e-3))
