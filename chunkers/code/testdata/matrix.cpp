// matrix.cpp: dense matrices.
#include <vector>
#include <stdexcept>

namespace linalg {

constexpr int kMaxDim = 1024;

// Matrix is a dense row-major matrix of doubles.
class Matrix {
 public:
  Matrix(int rows, int cols) : rows_(rows), cols_(cols), data_(rows * cols) {}

  double& at(int r, int c) {
    check(r, c);
    return data_[r * cols_ + c];
  }

  int rows() const { return rows_; }
  int cols() const { return cols_; }

  Matrix multiply(const Matrix& other) const;

 private:
  void check(int r, int c) const {
    if (r < 0 || r >= rows_ || c < 0 || c >= cols_) {
      throw std::out_of_range("matrix index");
    }
  }

  int rows_, cols_;
  std::vector<double> data_;
};

Matrix Matrix::multiply(const Matrix& other) const {
  if (cols_ != other.rows_) throw std::invalid_argument("shape mismatch");
  Matrix out(rows_, other.cols_);
  for (int i = 0; i < rows_; ++i)
    for (int j = 0; j < other.cols_; ++j) {
      double s = 0;
      for (int k = 0; k < cols_; ++k) s += data_[i * cols_ + k] * other.data_[k * other.cols_ + j];
      out.at(i, j) = s;
    }
  return out;
}

template <typename T>
T clamp(T v, T lo, T hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

struct Point { double x, y; };

}  // namespace linalg
