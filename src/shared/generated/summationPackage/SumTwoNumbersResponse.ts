// Original file: proto/compat/summation.proto


export interface SumTwoNumbersResponse {
  'sum'?: (number);
}

export interface SumTwoNumbersResponse__Output {
  'sum': (number);
}
