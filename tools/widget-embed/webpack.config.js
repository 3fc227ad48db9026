const path = require('path');
module.exports = {
  entry: './src/embed.js',
  output: { path: path.resolve(__dirname, 'dist'), filename: 'embed.js' },
  module: {
    rules: [
      { test: /\.css$/, use: ['style-loader', 'css-loader'] },
      { test: /\.(woff2?|ttf|eot|svg|png)$/, type: 'asset/resource' },
    ],
  },
  performance: { hints: false },
  devtool: false,
};
