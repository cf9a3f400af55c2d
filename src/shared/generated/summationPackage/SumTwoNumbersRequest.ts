// Original file: proto/compat/summation.proto


export interface SumTwoNumbersRequest {
  'a'?: (number);
  'b'?: (number);
}

export interface SumTwoNumbersRequest__Output {
  'a': (number);
  'b': (number);
}
