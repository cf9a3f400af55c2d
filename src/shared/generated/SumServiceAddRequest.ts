// Original file: proto/compat/sum_service.proto


export interface SumServiceAddRequest {
  'firstNumber'?: (number);
  'secondNumber'?: (number);
}

export interface SumServiceAddRequest__Output {
  'firstNumber': (number);
  'secondNumber': (number);
}
