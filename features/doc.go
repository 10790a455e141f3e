// Package features turns records into model input vectors.
//
// It holds the dataset schemas (NSL-KDD's 41 features, UNSW-NB15's and
// BoT-IoT's columns), the compact Frame that dataset readers fill, the
// Encoder that one-hot encodes and scales rows (fitted on training data and
// saved in the model file, so that training and serving share one
// encoding), and the feature-semantics description that the sensor checks
// a model against.
package features
