// nn-host: plays a TorchScript export the way nn~ (acids-ircam/nn_tilde) plays it, from a WAV file to a
// WAV file, and says what it found and how long each buffer took. Our code, written after nn~'s source.
//
//   nn-host describe MODEL.ts
//       JSON on stdout: the libtorch version, the methods with their _params, the settable attributes
//       and their values, the higher ratio, the buffer nn~ picks when none is given, the sample rate
//       (RAVE's `sr`), the torch the export was made with (the archive's extra file made_with_torch,
//       which the workflow's export writes) and the model card a release embeds (a string attribute
//       `model_card`); null where the model has none.
//   nn-host play MODEL.ts IN.wav OUT.wav [--method forward] [--buffer N] [--block 64] [--batch 1]
//                [--threads N] [--sample-rate HZ] [--seed S] [--tail SAMPLES] [--report FILE.json]
//       IN.wav has the method's input channels (repeated for every batch) or channels x batch of them
//       (c * batch + b, as mc.nn~ orders them); OUT.wav has batch x output channels (b * channels + c).
//       --buffer as nn~'s argument: omitted, the next power of two of the model's higher ratio; 0, the
//       higher ratio with no worker thread; smaller than the ratio, the ratio; else its power-of-two
//       ceiling. With the worker thread (nn~'s default) the output lags the input by 2 x buffer - block;
//       without, by buffer - block. The render assumes the worker keeps up; the report (JSON) gives each
//       buffer's compute time and the deadline it had (buffer / sample rate): a later buffer is where
//       nn~ would have played silence until the worker caught up.
#include <ATen/Parallel.h>
#include <sndfile.h>
#include <torch/script.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "backend.h"
#include "circular_buffer.h"

namespace {

std::string quoted(const std::string& text) {
  std::ostringstream out;
  out << '"';
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') out << '\\' << c;
    else if (c == '\n') out << "\\n";
    else if (c < 0x20) out << "\\u" << std::hex << std::setw(4) << std::setfill('0') << static_cast<int>(c) << std::dec;
    else out << c;
  }
  out << '"';
  return out.str();
}

constexpr int MAX_BUFFER = 1 << 20;

int power_ceil(int x) {
  int power = 1;
  while (power < x) power *= 2;
  return power;
}

struct Audio {
  int sample_rate = 0, channels = 0;
  std::vector<float> interleaved;
  std::size_t frames() const { return channels ? interleaved.size() / channels : 0; }
};

Audio read_wav(const std::string& path) {
  SF_INFO info{};
  SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
  if (!file) throw std::runtime_error(path + ": " + sf_strerror(nullptr));
  Audio audio{info.samplerate, info.channels, std::vector<float>(static_cast<std::size_t>(info.frames) * info.channels)};
  const sf_count_t read = sf_readf_float(file, audio.interleaved.data(), info.frames);
  sf_close(file);
  if (read != info.frames)
    throw std::runtime_error(path + ": read " + std::to_string(read) + " of " + std::to_string(info.frames) + " frames");
  return audio;
}

void write_wav(const std::string& path, const Audio& audio) {
  SF_INFO info{};
  info.samplerate = audio.sample_rate;
  info.channels = audio.channels;
  info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
  SNDFILE* file = sf_open(path.c_str(), SFM_WRITE, &info);
  if (!file) throw std::runtime_error(path + ": " + sf_strerror(nullptr));
  const bool written = sf_writef_float(file, audio.interleaved.data(), audio.frames()) == static_cast<sf_count_t>(audio.frames());
  const std::string error = written ? "" : sf_strerror(file);
  sf_close(file);
  if (!written) throw std::runtime_error(path + ": " + error);
}

int describe(const std::string& model_path) {
  Backend backend(model_path);
  std::ostringstream out;
  out << "{\n  \"model\": " << quoted(model_path) << ",\n  \"libtorch\": " << quoted(TORCH_VERSION) << ",\n";
  out << "  \"methods\": {";
  const auto methods = backend.methods();
  for (std::size_t i = 0; i < methods.size(); ++i) {
    const auto p = backend.params(methods[i]);
    out << (i ? ",\n" : "\n") << "    " << quoted(methods[i]) << ": {\"in_channels\": " << p.in_channels
        << ", \"in_ratio\": " << p.in_ratio << ", \"out_channels\": " << p.out_channels
        << ", \"out_ratio\": " << p.out_ratio << "}";
  }
  out << "\n  },\n  \"attributes\": {";
  const auto attributes = backend.settable_attributes();
  for (std::size_t i = 0; i < attributes.size(); ++i)
    out << (i ? ",\n" : "\n") << "    " << quoted(attributes[i]) << ": " << quoted(backend.attribute(attributes[i]));
  const int higher = backend.higher_ratio();
  const auto or_null = [](const std::string& text, bool known) { return known ? text : std::string("null"); };
  out << "\n  },\n  \"higher_ratio\": " << higher << ",\n  \"default_buffer\": " << power_ceil(higher)
      << ",\n  \"sample_rate\": " << or_null(std::to_string(backend.sample_rate()), backend.sample_rate() > 0)
      << ",\n  \"made_with_torch\": " << or_null(quoted(backend.made_with_torch()), !backend.made_with_torch().empty())
      << ",\n  \"model_card\": " << (backend.has_string("model_card") ? quoted(backend.string_attribute("model_card")) : "null")
      << "\n}\n";
  std::cout << out.str();
  return 0;
}

struct PlayOptions {
  std::string method = "forward", report;
  int buffer = -1, block = 64, batch = 1, threads = 0, sample_rate = 0, tail = -1;
  long seed = 0;
};

int play(const std::string& model_path, const std::string& in_path, const std::string& out_path, const PlayOptions& o) {
  if (o.threads > 0) at::set_num_threads(o.threads);
  torch::manual_seed(o.seed);
  Backend backend(model_path);
  const auto methods = backend.methods();
  if (std::find(methods.begin(), methods.end(), o.method) == methods.end())
    throw std::runtime_error(model_path + ": no method " + o.method + " that nn~ can call");
  const auto p = backend.params(o.method);
  const int higher = backend.higher_ratio();

  // nn~'s buffer size rules (the Max external's update_method).
  if (o.buffer > MAX_BUFFER) throw std::runtime_error("--buffer " + std::to_string(o.buffer) + " is above " + std::to_string(MAX_BUFFER));
  bool use_thread = true;
  int buffer = o.buffer;
  if (buffer == -1) buffer = power_ceil(higher);
  else if (buffer == 0) { use_thread = false; buffer = higher; }
  else if (buffer < higher) buffer = higher;
  else buffer = power_ceil(buffer);
  if (o.block <= 0 || o.block > buffer || buffer % o.block)
    throw std::runtime_error("block " + std::to_string(o.block) + " must divide the buffer " + std::to_string(buffer) +
                             " (nn~ disables itself when the block is larger than its buffer)");

  const Audio input = read_wav(in_path);
  const int sample_rate = o.sample_rate > 0 ? o.sample_rate : input.sample_rate;
  backend.set_sample_rate(sample_rate);
  const int n_in = p.in_channels * o.batch, n_out = p.out_channels * o.batch;
  if (p.in_channels < 1 || p.out_channels < 1 || p.in_ratio < 1 || p.out_ratio < 1 || buffer % p.in_ratio)
    throw std::runtime_error(model_path + ": " + o.method + "_params cannot be played with a buffer of " + std::to_string(buffer));
  if (input.channels != p.in_channels && input.channels != n_in)
    throw std::runtime_error(in_path + ": " + std::to_string(input.channels) + " channels; " + o.method + " takes " +
                             std::to_string(p.in_channels) + " (or " + std::to_string(n_in) + " for batch " +
                             std::to_string(o.batch) + ")");
  const int latency = (use_thread ? 2 * buffer : buffer) - o.block;
  const std::size_t tail = o.tail >= 0 ? o.tail : latency;
  const std::size_t total = (input.frames() + tail + o.block - 1) / o.block * o.block;

  std::vector<CircularBuffer> in_rings(n_in), out_rings(n_out);
  for (auto& ring : in_rings) ring.initialize(buffer);
  for (auto& ring : out_rings) ring.initialize(buffer);
  std::vector<std::vector<float>> in_model(n_in, std::vector<float>(buffer)), out_model(n_out, std::vector<float>(buffer));
  Audio output{sample_rate, n_out, std::vector<float>(total * n_out)};
  std::vector<float> block(o.block);
  std::vector<double> seconds;

  for (std::size_t start = 0; start < total; start += o.block) {
    for (int i = 0; i < n_in; ++i) {  // the inlet ring i = c * batch + b
      const int source = input.channels == n_in ? i : i / o.batch;
      for (int j = 0; j < o.block; ++j) {
        const std::size_t frame = start + j;
        block[j] = frame < input.frames() ? input.interleaved[frame * input.channels + source] : 0.0f;
      }
      in_rings[i].put(block.data(), o.block);
    }
    if (in_rings[0].full()) {
      for (int i = 0; i < n_in; ++i) in_rings[i].get(in_model[i].data(), buffer);
      // With the thread, the previous result goes out now and this buffer is computed meanwhile.
      if (use_thread)
        for (int i = 0; i < n_out; ++i) out_rings[i].put(out_model[i].data(), buffer);
      const auto begin = std::chrono::steady_clock::now();
      backend.perform(in_model, out_model, o.method, o.batch, buffer);
      seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count());
      if (!use_thread)
        for (int i = 0; i < n_out; ++i) out_rings[i].put(out_model[i].data(), buffer);
    }
    for (int i = 0; i < n_out; ++i) {
      out_rings[i].get(block.data(), o.block);
      for (int j = 0; j < o.block; ++j) output.interleaved[(start + j) * n_out + i] = block[j];
    }
  }
  write_wav(out_path, output);

  if (!o.report.empty()) {
    std::ofstream report(o.report);
    report.precision(10);
    report << "{\n  \"model\": " << quoted(model_path) << ",\n  \"libtorch\": " << quoted(TORCH_VERSION)
           << ",\n  \"method\": " << quoted(o.method) << ",\n  \"sample_rate\": " << sample_rate
           << ",\n  \"buffer\": " << buffer << ",\n  \"block\": " << o.block << ",\n  \"batch\": " << o.batch
           << ",\n  \"threads\": " << at::get_num_threads() << ",\n  \"worker_thread\": " << (use_thread ? "true" : "false")
           << ",\n  \"latency_samples\": " << latency << ",\n  \"input_frames\": " << input.frames()
           << ",\n  \"output_frames\": " << total
           << ",\n  \"deadline_seconds\": " << static_cast<double>(buffer) / sample_rate
           << ",\n  \"buffer_seconds\": [";
    for (std::size_t i = 0; i < seconds.size(); ++i) report << (i ? ", " : "") << seconds[i];
    report << "]\n}\n";
    if (!report) throw std::runtime_error(o.report + ": cannot write the report");
  }
  return 0;
}

int usage() {
  std::cerr << "usage: nn-host describe MODEL.ts\n"
               "       nn-host play MODEL.ts IN.wav OUT.wav [--method M] [--buffer N] [--block N] [--batch N]\n"
               "                    [--threads N] [--sample-rate HZ] [--seed S] [--tail SAMPLES] [--report FILE]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() == 2 && args[0] == "describe") return describe(args[1]);
    if (args.size() < 4 || args[0] != "play" || (args.size() - 4) % 2) return usage();
    PlayOptions o;
    for (std::size_t i = 4; i < args.size(); i += 2) {
      const auto& flag = args[i];
      const auto& value = args[i + 1];
      auto number = [&]() -> long {
        try {
          std::size_t used = 0;
          const long parsed = std::stol(value, &used);
          if (used == value.size() && parsed >= -1 && parsed <= (1L << 30)) return parsed;
        } catch (const std::exception&) {
        }
        throw std::runtime_error(flag + " " + value + ": not a whole number from -1 to 2^30");
      };
      if (flag == "--method") o.method = value;
      else if (flag == "--report") o.report = value;
      else if (flag == "--buffer") o.buffer = static_cast<int>(number());
      else if (flag == "--block") o.block = static_cast<int>(number());
      else if (flag == "--batch") o.batch = static_cast<int>(number());
      else if (flag == "--threads") o.threads = static_cast<int>(number());
      else if (flag == "--sample-rate") o.sample_rate = static_cast<int>(number());
      else if (flag == "--seed") o.seed = number();
      else if (flag == "--tail") o.tail = static_cast<int>(number());
      else return usage();
    }
    if (o.batch < 1) throw std::runtime_error("--batch must be at least 1");
    return play(args[1], args[2], args[3], o);
  } catch (const std::exception& error) {
    std::cerr << "nn-host: " << error.what() << "\n";
    return 1;
  }
}
