"Freezing helpers: semantics on the course's CNN, torchvision ResNet-18 and a transformers BERT; bad inputs."
import pytest
import torch
import torch.nn.functional as F
from torchvision.models import resnet18

from finetune_lessons.core import LessonError, count_params
from finetune_lessons.finetune import (cached_features, check_optimizer, freeze, layerwise_lr_groups, new_head,
                                       trainable_parameters, transfer_first, unfreeze)
from finetune_lessons.pretraining import SmallCNN


def _step(model, x, y, lr=0.1):
    opt = torch.optim.SGD(trainable_parameters(model), lr=lr)
    model.train(); F.cross_entropy(model(x), y).backward(); opt.step()


@pytest.mark.parametrize('make,upto,x', [
    (SmallCNN, 'block2', torch.randn(4, 1, 28, 28)),
    (lambda: resnet18(num_classes=5), 'layer2', torch.randn(4, 3, 64, 64)),
])
def test_frozen_part_and_its_bn_stats_never_change(make, upto, x):
    model = freeze(make(), upto=upto)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    _step(model, x, torch.randint(0, 5, (4,)))
    names = [n for n, _ in model.named_children()]
    frozen_children = names[:names.index(upto) + 1]
    for k, v in model.state_dict().items():
        if k.split('.')[0] in frozen_children: assert torch.equal(v, before[k]), k  # weights and BN buffers
    changed = [k for k, v in model.state_dict().items() if not torch.equal(v, before[k])]
    assert changed and all(k.split('.')[0] not in frozen_children for k in changed)


def test_freeze_all_then_head_trains_only_head():
    model = new_head(freeze(resnet18()), 3)  # a new head is created trainable
    assert [n for n, p in model.named_parameters() if p.requires_grad] == ['fc.weight', 'fc.bias']
    assert count_params(model)[0] == 512 * 3 + 3


def test_unfreeze_restores_training_bn():
    model = unfreeze(freeze(SmallCNN()))
    model.train()
    bn = model.block1[1]
    rm = bn.running_mean.clone()
    model(torch.randn(4, 1, 28, 28))
    assert bn.training and not torch.equal(bn.running_mean, rm)


def test_freeze_on_transformers_bert_dotted_name():
    from transformers import BertConfig, BertModel
    bert = BertModel(BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=3, num_attention_heads=2, intermediate_size=32))
    freeze(bert, upto='encoder.layer.1')
    trainable = {n.split('.')[0] + ('.' + n.split('.')[2] if n.startswith('encoder') else '') for n, p in bert.named_parameters() if p.requires_grad}
    assert trainable == {'encoder.2', 'pooler'}


def test_freeze_errors_name_the_fix():
    with pytest.raises(LessonError, match=r"no submodule named 'block7'.*\['block1'"): freeze(SmallCNN(), upto='block7')
    with pytest.raises(LessonError, match='out of range'): freeze(SmallCNN(), upto=10)


def test_layerwise_groups_cover_exactly_the_trainable_params():
    model = freeze(resnet18(), upto='layer1')
    groups = layerwise_lr_groups(model, lr=1.0, decay=0.5)
    assert [g['name'] for g in groups] == ['layer2', 'layer3', 'layer4', 'fc']
    assert [g['lr'] for g in groups] == [0.125, 0.25, 0.5, 1.0]
    ids = [id(p) for g in groups for p in g['params']]
    assert sorted(ids) == sorted(id(p) for p in trainable_parameters(model))
    check_optimizer(model, torch.optim.AdamW(groups))


def test_check_optimizer_catches_the_classic_bug():
    model = resnet18()
    for p in model.parameters(): p.requires_grad = False
    model.fc.requires_grad = True  # the bug: a plain attribute
    with pytest.raises(LessonError, match=r'fc.requires_grad = True. set a plain attribute.*requires_grad_\(True\)'): check_optimizer(model, torch.optim.SGD(model.layer4.parameters(), lr=1))
    model.fc.requires_grad_(True)
    with pytest.raises(LessonError, match=r'not in the optimizer \(e.g. fc.weight'): check_optimizer(model, torch.optim.SGD(model.layer4.parameters(), lr=1))
    with pytest.warns(UserWarning, match='frozen parameters'): check_optimizer(model, torch.optim.SGD(model.parameters(), lr=1))
    with pytest.raises(LessonError, match='not in the optimizer'): check_optimizer(model, torch.optim.SGD([model.fc.bias], lr=1))


def test_cached_features_restore_head_and_mode():
    model = SmallCNN().train()
    head = model.head
    f = cached_features(model, torch.zeros(2, 1, 28, 28))
    assert f.shape == (2, 128) and model.head is head and model.training
    with pytest.raises(LessonError, match=r'no nn.Linear output layer in `head`.*pass name='): cached_features(torch.nn.Sequential(torch.nn.Linear(2, 2)), torch.zeros(1, 2))
    assert torch.equal(cached_features(torch.nn.Sequential(torch.nn.Linear(2, 2)), torch.ones(1, 2), name='0'), torch.ones(1, 2))


def test_new_head_draws_what_a_plain_linear_draws():
    "The lessons' numbers depend on it: the new head takes the same random numbers, from the same generator, as before."
    torch.manual_seed(0); model = new_head(SmallCNN(), 5)
    after = torch.rand(1)
    torch.manual_seed(0); SmallCNN(); ref = torch.nn.Linear(128, 5)
    assert torch.equal(model.head.weight, ref.weight) and torch.equal(model.head.bias, ref.bias) and torch.equal(torch.rand(1), after)


def test_transfer_first_on_resnet_copies_stem_and_stages():
    a, b = resnet18(), resnet18()
    transfer_first(a, b, 1, ['layer1', 'layer2', 'layer3', 'layer4'])
    assert torch.equal(a.conv1.weight, b.conv1.weight) and torch.equal(a.layer1[0].conv1.weight, b.layer1[0].conv1.weight)
    assert not torch.equal(a.layer2[0].conv1.weight, b.layer2[0].conv1.weight)


def test_efficientnet_split_and_label_noise_bad_inputs():
    import timm
    from finetune_lessons.finetune import efficientnet_split, corrupt_labels
    from finetune_lessons.core import LessonError
    net = timm.create_model('tf_efficientnet_lite0', pretrained=False).eval()
    bottom, top = efficientnet_split(net, 3)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad(): assert torch.allclose(top(bottom(x)), net.forward_head(net.forward_features(x), pre_logits=True), atol=1e-5)
    with pytest.raises(LessonError, match='splits at 1…6'): efficientnet_split(net, 0)
    with pytest.raises(LessonError, match='no `blocks`'): efficientnet_split(torch.nn.Linear(2, 2), 1)
    y = torch.zeros(10, dtype=torch.long)
    assert (corrupt_labels(y, 0.5, 3) != 0).sum() == 5
    with pytest.raises(LessonError, match='label noise needs at least 2 classes'): corrupt_labels(y, 0.5, 1)
    with pytest.raises(LessonError, match='use a number in'): corrupt_labels(y, -0.1, 3)
