// A TorchScript model driven the way nn~'s backend drives it: methods and their `<method>_params`,
// settable attributes read through `get_<name>()`, and one call per buffer on [batch, channels, frames].
#pragma once
#include <torch/script.h>

#include <map>
#include <string>
#include <vector>

struct MethodParams {
  int in_channels = 0, in_ratio = 1, out_channels = 0, out_ratio = 1;
};

class Backend {
 public:
  explicit Backend(const std::string& path);

  std::vector<std::string> methods();
  MethodParams params(const std::string& method);
  int higher_ratio();
  std::vector<std::string> settable_attributes();
  std::string attribute(const std::string& name);  // get_<name>() printed, as nn~'s get message shows it
  bool has_method(const std::string& name);
  bool has_string(const std::string& name);  // a string attribute, e.g. a release's model_card
  std::string string_attribute(const std::string& name);
  int sample_rate();  // RAVE's `sr` attribute; 0 where the model has none
  // The torch version the workflow's export records in the archive (extra file made_with_torch);
  // empty for a .ts made elsewhere.
  const std::string& made_with_torch() const { return made_with_torch_; }
  void set_sample_rate(int sample_rate);  // only where the model defines set_sample_rate, as nn~ does

  // in[c * batch + b] and out[b * out_channels + c] each hold `buffer` samples (nn~'s pointer orders).
  void perform(const std::vector<std::vector<float>>& in, std::vector<std::vector<float>>& out,
               const std::string& method, int batch, int buffer);

 private:
  torch::jit::script::Module model_;
  std::string made_with_torch_;
};
