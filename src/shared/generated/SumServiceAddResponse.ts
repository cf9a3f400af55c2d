// Original file: proto/compat/sum_service.proto


export interface SumServiceAddResponse {
  'result'?: (number);
}

export interface SumServiceAddResponse__Output {
  'result': (number);
}
