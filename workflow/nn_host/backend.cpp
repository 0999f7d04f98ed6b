#include "backend.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>

Backend::Backend(const std::string& path) {
  at::init_num_threads();
  torch::jit::ExtraFilesMap extra{{"made_with_torch", ""}};
  model_ = torch::jit::load(path, torch::kCPU, extra);
  made_with_torch_ = extra["made_with_torch"];
  model_.eval();
  model_.to(torch::kCPU);
}

bool Backend::has_method(const std::string& name) { return model_.find_method(name).has_value(); }

bool Backend::has_string(const std::string& name) { return model_.hasattr(name) && model_.attr(name).isString(); }

std::string Backend::string_attribute(const std::string& name) { return model_.attr(name).toStringRef(); }

int Backend::sample_rate() { return model_.hasattr("sr") && model_.attr("sr").isInt() ? model_.attr("sr").toInt() : 0; }

std::vector<std::string> Backend::methods() {
  std::vector<std::string> names;
  // As nn~: the scripted get_methods() where it works, else every method with a _params attribute;
  // a listed method without _params is one nn~ cannot call, so it is left out.
  try {
    for (const auto& name : model_.get_method("get_methods")({}).toList())
      if (model_.hasattr(name.get().toStringRef() + "_params")) names.push_back(name.get().toStringRef());
    return names;
  } catch (const std::exception&) {
    names.clear();
  }
  for (const auto& method : model_.get_methods())
    if (model_.hasattr(method.name() + "_params")) names.push_back(method.name());
  return names;
}

MethodParams Backend::params(const std::string& method) {
  const auto name = method + "_params";
  if (!model_.hasattr(name)) throw std::runtime_error("the model has no " + name + " (nn~ cannot call " + method + ")");
  auto p = model_.attr(name).toTensor();
  if (p.numel() < 4) throw std::runtime_error(name + " holds " + std::to_string(p.numel()) + " values, nn~ reads 4");
  return {p[0].item<int>(), p[1].item<int>(), p[2].item<int>(), p[3].item<int>()};
}

int Backend::higher_ratio() {
  int higher = 1;
  for (const auto& method : methods()) {
    const auto p = params(method);
    higher = std::max({higher, p.in_ratio, p.out_ratio});
  }
  return higher;
}

std::vector<std::string> Backend::settable_attributes() {
  std::vector<std::string> names;
  if (has_method("get_attributes")) {
    for (const auto& name : model_.get_method("get_attributes")({}).toList())
      if (name.get().toStringRef() != "none") names.push_back(name.get().toStringRef());
  }
  return names;
}

std::string Backend::attribute(const std::string& name) {
  std::ostringstream text;
  try {
    text << model_.get_method("get_" + name)({});
  } catch (const std::exception& error) {
    text << "(get_" << name << " failed: " << error.what() << ")";
  }
  return text.str();
}

void Backend::set_sample_rate(int sample_rate) {
  if (has_method("set_sample_rate")) model_.get_method("set_sample_rate")({sample_rate});
}

void Backend::perform(const std::vector<std::vector<float>>& in, std::vector<std::vector<float>>& out,
                      const std::string& method, int batch, int buffer) {
  c10::InferenceMode guard;
  const auto p = params(method);
  std::vector<at::Tensor> channels;
  for (int i = 0; i < p.in_channels * batch; ++i)
    channels.push_back(i < static_cast<int>(in.size())
                           ? torch::from_blob(const_cast<float*>(in[i].data()), {1, 1, buffer}).clone()
                           : torch::zeros({1, 1, buffer}));
  // nn~ decimates by keeping the last sample of each group of in_ratio, channel-major (c * batch + b).
  auto x = torch::cat(channels, 1).reshape({p.in_channels, batch, -1, p.in_ratio}).select(-1, -1).permute({1, 0, 2});
  auto y = model_.get_method(method)({x}).toTensor();
  // ... and holds each output frame for out_ratio samples.
  y = y.repeat_interleave(p.out_ratio).reshape({batch, p.out_channels, -1}).to(torch::kCPU).contiguous();
  if (y.size(2) != buffer)
    throw std::runtime_error(method + " returned " + std::to_string(y.size(2)) + " samples for a buffer of " +
                             std::to_string(buffer) + " (nn~: model output size is not consistent)");
  for (int b = 0; b < batch; ++b)
    for (int c = 0; c < p.out_channels; ++c) {
      auto& target = out[b * p.out_channels + c];
      if (c < y.size(1)) std::copy_n(y[b][c].data_ptr<float>(), buffer, target.begin());
      else std::fill(target.begin(), target.end(), 0.0f);
    }
}
