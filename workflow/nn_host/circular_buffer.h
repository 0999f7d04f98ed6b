// A ring of samples as nn~ keeps one per inlet and outlet (our code, after nn~'s documented behaviour):
// put() overwrites the oldest sample when full; get() on an empty ring yields 0 without moving.
#pragma once
#include <cstddef>
#include <vector>

class CircularBuffer {
 public:
  void initialize(std::size_t size) {
    data_.assign(size, 0.0f);
    head_ = tail_ = 0;
    full_ = false;
  }
  bool full() const { return full_; }
  bool empty() const { return !full_ && head_ == tail_; }

  void put(const float* in, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      data_[head_] = in[i];
      head_ = (head_ + 1) % data_.size();
      if (full_) tail_ = (tail_ + 1) % data_.size();
      full_ = head_ == tail_;
    }
  }

  void get(float* out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      if (empty()) {
        out[i] = 0.0f;
        continue;
      }
      out[i] = data_[tail_];
      tail_ = (tail_ + 1) % data_.size();
      full_ = false;
    }
  }

 private:
  std::vector<float> data_;
  std::size_t head_ = 0, tail_ = 0;
  bool full_ = false;
};
